import Logging
import LoomInference
import LoomWorkflow

/// The models one worker serves, loaded from the registry: each chat model with its batch scheduler, each
/// embedding model run on the first chat model's scheduler thread between passes (or, with no chat model, on a
/// compute queue of its own), so a worker owns exactly one set of compute threads.
public final class WorkerModels: Sendable {
    public struct Chat: Sendable {
        public let name: String
        public let model: LlamaModel
        public let scheduler: BatchScheduler
    }

    public struct Embedding: Sendable {
        public let name: String
        public let encoder: BertEncoder
        let host: ComputeHost

        /// Texts per encoder pass; texts of similar length go together so little of a pass is padding.
        static let batchSize = 32

        /// Embeds batch by batch on the compute thread (between two decode passes when it hosts a chat model).
        public func embed(_ texts: [String]) async -> (vectors: [[Float]], tokens: [Int]) {
            let encoder = self.encoder
            let ids = texts.map { encoder.tokenizer.encode($0, maxLength: encoder.maxTokens) }
            let order = ids.indices.sorted { ids[$0].count < ids[$1].count }
            var vectors = [[Float]](repeating: [], count: texts.count)
            for start in stride(from: 0, to: order.count, by: Self.batchSize) {
                let batch = Array(order[start..<min(start + Self.batchSize, order.count)])
                let tokenIds = batch.map { ids[$0] }
                let embedded = await host.perform { encoder.embed(tokenIds: tokenIds) }
                for (index, vector) in zip(batch, embedded) { vectors[index] = vector }
            }
            return (vectors, ids.map(\.count))
        }
    }

    public let chat: [String: Chat]
    public let embedding: [String: Embedding]
    /// Fine-tuned adapters over the chat models.
    public let adapters: AdapterCatalog

    /// Base models and the fine-tuned models whose base this worker serves.
    public var names: [String] {
        let tuned = adapters.names().filter { FineTunedModelName.base(of: $0).map { chat[$0] != nil } ?? false }
        return (Array(chat.keys) + Array(embedding.keys) + tuned).sorted()
    }

    /// The thread embedding batches run on when no chat model hosts them.
    private let queue: ComputeQueue?

    public enum LoadError: Error, CustomStringConvertible {
        case noModel(directory: String)

        public var description: String {
            switch self {
            case .noModel(let directory): "none of the registry's models is installed under \(directory): run `loom models pull`"
            }
        }
    }

    /// Loads every installed model of the registry.
    public init(registry: ModelRegistry, threads: Int, limits: BatchScheduler.Limits, logger: Logger) throws {
        var chat: [String: Chat] = [:]
        for entry in registry.entries where entry.kind == .chat && registry.isInstalled(entry) {
            let model = try LlamaModel(path: registry.location(of: entry))
            // Built now, not by the first constrained request on a request thread.
            _ = model.constraintVocabulary
            let runner = LlamaRunner(model: model, pool: ComputePool(threads: threads))
            chat[entry.name] = Chat(name: entry.name, model: model, scheduler: BatchScheduler(runner: runner, limits: limits))
            logger.info("serving chat model", metadata: ["model": "\(entry.name)", "context": "\(model.configuration.context)"])
        }
        let embeddings = registry.entries.filter { $0.kind == .embedding && registry.isInstalled($0) }
        guard !chat.isEmpty || !embeddings.isEmpty else { throw LoadError.noModel(directory: registry.directory) }
        let scheduler = chat.values.sorted(by: { $0.name < $1.name }).first?.scheduler
        let queue = scheduler == nil ? ComputeQueue(name: "loom-embeddings") : nil
        let host: ComputeHost = if let scheduler { .scheduler(scheduler) } else { .queue(queue!) }
        let pool = scheduler?.runner.pool ?? ComputePool(threads: threads)
        var embedding: [String: Embedding] = [:]
        for entry in embeddings {
            let encoder = try BertEncoder(directory: registry.location(of: entry), pool: pool)
            embedding[entry.name] = Embedding(name: entry.name, encoder: encoder, host: host)
            logger.info("serving embedding model", metadata: ["model": "\(entry.name)", "dimensions": "\(encoder.hidden)"])
        }
        for entry in registry.entries where !registry.isInstalled(entry) {
            logger.warning("model not installed; run `loom models pull`", metadata: ["model": "\(entry.name)"])
        }
        self.chat = chat
        self.embedding = embedding
        self.queue = queue
        self.adapters = AdapterCatalog(directory: registry.adaptersDirectory)
    }

    public func shutdown() {
        for model in chat.values { model.scheduler.shutdown() }
        queue?.shutdown()
    }
}

/// Where encoder batches run: on a chat model's scheduler thread between its passes, or on a queue of their own.
enum ComputeHost: Sendable {
    case scheduler(BatchScheduler)
    case queue(ComputeQueue)

    func perform<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        switch self {
        case .scheduler(let scheduler): await scheduler.perform(body)
        case .queue(let queue): await queue.perform(body)
        }
    }
}
