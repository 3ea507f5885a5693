/// For embedding models whose tokenizer Loom does not have (a hosted API): about four characters a token, and
/// never fewer tokens than words — the usual rule of thumb for English with BPE tokenizers.
public struct ApproximateTokenCounter: TokenCounter {
    public init() {}

    public func count(_ text: String) -> Int {
        max(text.split(whereSeparator: \.isWhitespace).count, (text.count + 3) / 4)
    }
}
