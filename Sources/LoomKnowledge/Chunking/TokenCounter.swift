import LoomInference

/// Counts tokens the way the dataset's embedding model will see them, so chunk sizes are real model tokens.
public protocol TokenCounter: Sendable {
    func count(_ text: String) -> Int
}

extension WordPieceTokenizer: TokenCounter {
    /// Word pieces of `text`, without the [CLS] and [SEP] every encoding adds.
    public func count(_ text: String) -> Int {
        encode(text, maxLength: Int.max / 2).count - 2
    }
}
