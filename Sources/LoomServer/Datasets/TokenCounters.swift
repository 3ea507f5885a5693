import LoomInference
import LoomKnowledge
import Synchronization

/// The token counter for an embedding model: its own tokenizer when it is a bundled model that is installed
/// (loaded once per process; a vocabulary takes a moment to read), else an estimate.
enum TokenCounters {
    private static let loaded = Mutex<[String: WordPieceTokenizer]>([:])

    static func counter(for model: String) -> any TokenCounter {
        if let known = loaded.withLock({ $0[model] }) { return known }
        guard let registry = try? ModelRegistry.load(), let entry = registry.entry(model), entry.kind == .embedding, registry.isInstalled(entry),
            let tokenizer = try? WordPieceTokenizer(vocabularyFile: registry.location(of: entry) + "/vocab.txt")
        else {
            // Not cached: the model may be installed later.
            return ApproximateTokenCounter()
        }
        loaded.withLock { $0[model] = tokenizer }
        return tokenizer
    }
}
