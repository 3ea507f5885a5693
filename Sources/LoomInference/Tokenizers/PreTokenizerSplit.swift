/// GPT-2's pre-tokenizer split, written out instead of as a regular expression:
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, optionally after isolating
/// every digit (SmolLM).
enum PreTokenizerSplit {
    static func split(_ text: String, digitsApart: Bool) -> [String] {
        let scalars = Array(text.unicodeScalars)
        guard digitsApart else { return gpt2(scalars[...]) }
        var pieces: [String] = []
        var start = 0
        for index in scalars.indices where isNumber(scalars[index]) {
            pieces += gpt2(scalars[start..<index])
            pieces.append(String(scalars[index]))
            start = index + 1
        }
        return pieces + gpt2(scalars[start...])
    }

    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isWhitespace }

    private static let contractions: [[Unicode.Scalar]] = ["s", "t", "re", "ve", "m", "ll", "d"].map { Array($0.unicodeScalars) }

    private static func gpt2(_ text: ArraySlice<Unicode.Scalar>) -> [String] {
        var pieces: [String] = []
        var index = text.startIndex
        let end = text.endIndex
        func run(from start: Int, while predicate: (Unicode.Scalar) -> Bool) -> Int {
            var cursor = start
            while cursor < end, predicate(text[cursor]) { cursor += 1 }
            return cursor
        }
        while index < end {
            let scalar = text[index]
            var next = index
            if scalar == "'", let contraction = contractions.first(where: { matches($0, text, index + 1) }) {
                next = index + 1 + contraction.count
            } else {
                let body = scalar == " " && index + 1 < end ? index + 1 : index
                let first = text[body]
                if isLetter(first) {
                    next = run(from: body, while: isLetter)
                } else if isNumber(first) {
                    next = run(from: body, while: isNumber)
                } else if !isSpace(first) {
                    next = run(from: body) { !isSpace($0) && !isLetter($0) && !isNumber($0) }
                } else {
                    // Whitespace: all of it, except that the last one is left to prefix a following non-space.
                    let stop = run(from: index, while: isSpace)
                    next = stop < end && stop - index > 1 ? stop - 1 : stop
                }
            }
            pieces.append(String(String.UnicodeScalarView(text[index..<next])))
            index = next
        }
        return pieces
    }

    private static func matches(_ needle: [Unicode.Scalar], _ text: ArraySlice<Unicode.Scalar>, _ start: Int) -> Bool {
        guard start + needle.count <= text.endIndex else { return false }
        return zip(needle, text[start..<start + needle.count]).allSatisfy { $0 == $1 }
    }
}
