/// A model's vocabulary arranged for masking: a trie over every ordinary token's bytes (walked with a matcher, so
/// tokens sharing a prefix are checked once), the tokens that are plain string content — whole UTF-8 characters,
/// no quote, backslash or control byte — with their lengths in characters, and a second trie of the tokens that are not.
public final class ConstraintVocabulary: Sendable {
    /// A trie in flat arrays: the children of node n are `childBytes`/`childNodes` in `start[n]..<start[n + 1]`.
    struct Trie: Sendable {
        var start: [Int32] = []
        var childBytes: [UInt8] = []
        var childNodes: [Int32] = []
        /// The token ending at a node, or -1.
        var token: [Int32] = []

        init(_ entries: [(id: Int, bytes: [UInt8])]) {
            // Built as nested dictionaries, then flattened breadth first.
            var children: [[UInt8: Int]] = [[:]]
            var ends: [Int32] = [-1]
            for entry in entries where !entry.bytes.isEmpty {
                var node = 0
                for byte in entry.bytes {
                    if let next = children[node][byte] {
                        node = next
                    } else {
                        children.append([:])
                        ends.append(-1)
                        children[node][byte] = children.count - 1
                        node = children.count - 1
                    }
                }
                if ends[node] < 0 { ends[node] = Int32(entry.id) }
            }
            start.reserveCapacity(children.count + 1)
            for node in children.indices {
                start.append(Int32(childBytes.count))
                for (byte, child) in children[node].sorted(by: { $0.key < $1.key }) {
                    childBytes.append(byte)
                    childNodes.append(Int32(child))
                }
            }
            start.append(Int32(childBytes.count))
            token = ends
        }
    }

    public let size: Int
    public let stopTokens: [Int]
    let all: Trie
    let special: Trie
    let plainTokens: [Int32]
    let plainLengths: [Int32]

    public init(tokenizer: ByteLevelBPE, stopTokens: Set<Int>) {
        size = tokenizer.vocabularySize
        self.stopTokens = stopTokens.sorted()
        var ordinary: [(id: Int, bytes: [UInt8])] = []
        var specialEntries: [(id: Int, bytes: [UInt8])] = []
        var plain: [Int32] = []
        var lengths: [Int32] = []
        for id in 0..<tokenizer.vocabularySize where !tokenizer.isSpecial(id) && !stopTokens.contains(id) {
            let bytes = tokenizer.bytes(of: id)
            guard !bytes.isEmpty else { continue }
            ordinary.append((id, bytes))
            // Whole characters only: a token that splits one goes through the matcher byte by byte.
            if bytes.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }), String(validating: bytes, as: UTF8.self) != nil {
                plain.append(Int32(id))
                lengths.append(Int32(bytes.filter { $0 & 0xC0 != 0x80 }.count))
            } else {
                specialEntries.append((id, bytes))
            }
        }
        all = Trie(ordinary)
        special = Trie(specialEntries)
        plainTokens = plain
        plainLengths = lengths
    }

    /// The tokens that keep the text valid from `matcher`'s state; with `remaining` tokens left, only those that
    /// head straight for the shortest completion once it needs them all. A whole document allows only stop tokens.
    public func allowedTokens(_ matcher: JSONMatcher, remaining: Int) -> [Int] {
        if matcher.isComplete { return stopTokens }
        let completion = matcher.completion()
        // The completion in as few tokens as greedy matching finds, plus the stop token: when that is all the
        // budget left, take its next token.
        let finishing = greedyTokens(completion)
        if remaining <= finishing.count + 1, let next = finishing.first { return [next] }
        var allowed: [Int] = []
        if let room = matcher.freeStringRoom {
            for (index, token) in plainTokens.enumerated() where Int(plainLengths[index]) <= room { allowed.append(Int(token)) }
            walk(special, node: 0, matcher, into: &allowed)
        } else {
            walk(all, node: 0, matcher, into: &allowed)
        }
        return allowed.isEmpty ? Array(finishing.prefix(1)) : allowed
    }

    /// The shortest way from `matcher`'s state to a whole document, as tokens (greedy matching).
    public func finishingTokens(_ matcher: JSONMatcher) -> [Int] {
        greedyTokens(matcher.completion())
    }

    /// How many tokens the shortest valid output of `grammar` takes at least (as greedy matching counts them):
    /// a request whose budget is smaller cannot end in a whole document.
    public func minimumTokens(_ grammar: JSONGrammar) -> Int {
        greedyTokens(JSONMatcher(grammar: grammar).completion()).count + 1
    }

    private func walk(_ trie: Trie, node: Int, _ matcher: JSONMatcher, into allowed: inout [Int]) {
        for child in Int(trie.start[node])..<Int(trie.start[node + 1]) {
            var next = matcher
            guard next.advance(trie.childBytes[child]) else { continue }
            let childNode = Int(trie.childNodes[child])
            if trie.token[childNode] >= 0 { allowed.append(Int(trie.token[childNode])) }
            walk(trie, node: childNode, next, into: &allowed)
        }
    }

    /// `text` as tokens, each the longest that begins the rest (a byte-level vocabulary has every single byte).
    func greedyTokens(_ text: [UInt8]) -> [Int] {
        var tokens: [Int] = []
        var position = 0
        while position < text.count {
            var node = 0
            var best: (token: Int, length: Int)?
            var depth = position
            while depth < text.count,
                let child = (Int(all.start[node])..<Int(all.start[node + 1])).first(where: { all.childBytes[$0] == text[depth] })
            {
                node = Int(all.childNodes[child])
                depth += 1
                if all.token[node] >= 0 { best = (Int(all.token[node]), depth - position) }
            }
            guard let best else { break }
            tokens.append(best.token)
            position += best.length
        }
        return tokens
    }
}
