/// Where the `dataset-annotation` node writes its records: the server stores them in a samples dataset.
public protocol SampleSink: Sendable {
    /// Stores the sample unless an identical record is already in the dataset; either way answers with its id.
    func write(_ sample: AnnotationSample) async throws -> SampleWrite
}

public struct AnnotationSample: Sendable {
    public var dataset: String
    public var record: TrainingRecord
    public var status: SampleStatus
    public var label: String?
    /// The app, run and node that wrote it.
    public var source: [String: Value]

    public init(dataset: String, record: TrainingRecord, status: SampleStatus, label: String?, source: [String: Value]) {
        self.dataset = dataset
        self.record = record
        self.status = status
        self.label = label
        self.source = source
    }
}

public struct SampleWrite: Sendable, Equatable {
    public var id: Int64
    /// True when the record was there already (nothing was written).
    public var duplicate: Bool

    public init(id: Int64, duplicate: Bool) {
        self.id = id
        self.duplicate = duplicate
    }
}
