import Logging
import LoomInference

/// The models one worker serves, loaded from the registry: each chat model with its batch scheduler, each
/// embedding model run on the first chat model's scheduler thread between passes, so a worker owns exactly one
/// set of compute threads.
public final class WorkerModels: Sendable {
    public struct Chat: Sendable {
        public let name: String
        public let model: LlamaModel
        public let scheduler: BatchScheduler
    }

    public struct Embedding: Sendable {
        public let name: String
        public let encoder: BertEncoder
        let scheduler: BatchScheduler

        /// Texts per encoder pass; texts of similar length go together so little of a pass is padding.
        static let batchSize = 32

        /// Embeds on the scheduler thread, one batch between two decode passes.
        public func embed(_ texts: [String]) async -> (vectors: [[Float]], tokens: [Int]) {
            let encoder = self.encoder
            let ids = texts.map { encoder.tokenizer.encode($0, maxLength: encoder.maxTokens) }
            let order = ids.indices.sorted { ids[$0].count < ids[$1].count }
            var vectors = [[Float]](repeating: [], count: texts.count)
            for start in stride(from: 0, to: order.count, by: Self.batchSize) {
                let batch = Array(order[start..<min(start + Self.batchSize, order.count)])
                let tokenIds = batch.map { ids[$0] }
                let embedded = await scheduler.perform { encoder.embed(tokenIds: tokenIds) }
                for (index, vector) in zip(batch, embedded) { vectors[index] = vector }
            }
            return (vectors, ids.map(\.count))
        }
    }

    public let chat: [String: Chat]
    public let embedding: [String: Embedding]

    public var names: [String] { (Array(chat.keys) + Array(embedding.keys)).sorted() }

    public enum LoadError: Error, CustomStringConvertible {
        case noChatModel(directory: String)

        public var description: String {
            switch self {
            case .noChatModel(let directory): "no chat model is installed under \(directory): run `loom models pull`"
            }
        }
    }

    /// Loads every installed model of the registry.
    public init(registry: ModelRegistry, threads: Int, limits: BatchScheduler.Limits, logger: Logger) throws {
        var chat: [String: Chat] = [:]
        for entry in registry.entries where entry.kind == .chat && registry.isInstalled(entry) {
            let model = try LlamaModel(path: registry.location(of: entry))
            let runner = LlamaRunner(model: model, pool: ComputePool(threads: threads))
            chat[entry.name] = Chat(name: entry.name, model: model, scheduler: BatchScheduler(runner: runner, limits: limits))
            logger.info("serving chat model", metadata: ["model": "\(entry.name)", "context": "\(model.configuration.context)"])
        }
        guard let host = chat.values.sorted(by: { $0.name < $1.name }).first else { throw LoadError.noChatModel(directory: registry.directory) }
        var embedding: [String: Embedding] = [:]
        for entry in registry.entries where entry.kind == .embedding && registry.isInstalled(entry) {
            let encoder = try BertEncoder(directory: registry.location(of: entry), pool: host.scheduler.runner.pool)
            embedding[entry.name] = Embedding(name: entry.name, encoder: encoder, scheduler: host.scheduler)
            logger.info("serving embedding model", metadata: ["model": "\(entry.name)", "dimensions": "\(encoder.hidden)"])
        }
        for entry in registry.entries where !registry.isInstalled(entry) {
            logger.warning("model not installed; run `loom models pull`", metadata: ["model": "\(entry.name)"])
        }
        self.chat = chat
        self.embedding = embedding
    }

    public func shutdown() {
        for model in chat.values { model.scheduler.shutdown() }
    }
}
