import LoomStore
import LoomWorkflow

/// The `dataset-annotation` node's writes, into PostgreSQL: each new sample is a dataset version of its own.
struct StoreSampleSink: SampleSink {
    let store: Store

    func write(_ sample: AnnotationSample) async throws -> SampleWrite {
        let run = sample.source["run"]?.text ?? "?"
        let addition = try await store.samples.add(
            sample.dataset, [SampleInput(record: sample.record, status: sample.status, label: sample.label, source: sample.source)],
            message: "written by run \(run)")
        return addition.writes[0]
    }
}
