import CoreMetrics
import Prometheus

/// The worker's metrics in its own Prometheus registry, served at `/metrics`.
final class WorkerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5), .seconds(30), .seconds(120),
        ]
        self.factory = factory
    }

    func request(route: String, status: Int) {
        CoreMetrics.Counter(label: "loom_worker_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
    }

    func generated(model: String, promptTokens: Int, completionTokens: Int, finish: String) {
        CoreMetrics.Counter(label: "loom_worker_prompt_tokens_total", dimensions: [("model", model)], factory: factory).increment(by: promptTokens)
        CoreMetrics.Counter(label: "loom_worker_completion_tokens_total", dimensions: [("model", model)], factory: factory).increment(by: completionTokens)
        CoreMetrics.Counter(label: "loom_worker_completions_total", dimensions: [("model", model), ("finish", finish)], factory: factory).increment()
    }

    func firstToken(model: String, after duration: Duration) {
        CoreMetrics.Timer(label: "loom_worker_time_to_first_token_seconds", dimensions: [("model", model)], factory: factory)
            .recordNanoseconds(Int64(duration.components.seconds) * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    func embedded(model: String, texts: Int, tokens: Int) {
        CoreMetrics.Counter(label: "loom_worker_embedded_texts_total", dimensions: [("model", model)], factory: factory).increment(by: texts)
        CoreMetrics.Counter(label: "loom_worker_embedded_tokens_total", dimensions: [("model", model)], factory: factory).increment(by: tokens)
    }

    func outstanding(model: String, count: Int) {
        CoreMetrics.Gauge(label: "loom_worker_outstanding_sequences", dimensions: [("model", model)], factory: factory).record(count)
    }

    func text() -> String { registry.emitToString() }
}
