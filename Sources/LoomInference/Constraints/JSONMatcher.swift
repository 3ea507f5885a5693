/// Where a generation is within the JSON its grammar allows: a stack of frames, innermost last. `advance` takes one
/// byte and says whether the text so far can still become a valid document; `completion` is the shortest text that
/// finishes it. A value type: the token mask tries each candidate token on a copy.
public struct JSONMatcher: Sendable {
    enum Frame: Sendable, Equatable {
        /// A value of the node is expected.
        case value(Int)
        /// phase: 0 after `{`, 1 after a value, 2 after `,`, 3 waiting for a property's value.
        case object(node: Int, next: Int, phase: UInt8)
        /// Matching `"name":` among properties `base…` (bit i of `alive`: property base + i).
        case key(node: Int, base: Int, position: Int, alive: UInt64)
        /// phase: 0 after `[`, 1 after a value, 2 after `,`, 3 waiting for an item.
        case array(node: Int, count: Int, phase: UInt8)
        /// escape: 0 none, 1 after `\`, 2…5 hex digits of `\u` still to come (5 = four). pending: UTF-8
        /// continuation bytes still to come; lead: the sequence's first byte while its first continuation is due
        /// (it narrows that byte's range), else 0.
        case string(maxLength: Int?, length: Int, escape: UInt8, pending: UInt8 = 0, lead: UInt8 = 0)
        case number(integer: Bool, phase: UInt8, digits: UInt8)
        case literal(node: Int, position: Int, alive: UInt64)
        /// phase: 0 after `{`, 1 after a key (`:` next), 2 waiting for a value, 3 after a value, 4 after `,`, 5 in a key.
        case freeObject(phase: UInt8)
        /// phase: 0 after `[`, 1 after a value, 2 after `,`, 3 waiting for an item.
        case freeArray(phase: UInt8)
    }

    public let grammar: JSONGrammar
    private(set) var stack: [Frame]
    /// Digits allowed in a number's integer part, fraction or exponent: numbers stay numbers, not digit streams.
    static let maxDigits: UInt8 = 15

    public init(grammar: JSONGrammar) {
        self.grammar = grammar
        stack = [.value(grammar.root)]
    }

    /// True when the text is a whole document: nothing more is needed (a number could still grow).
    public var isComplete: Bool {
        if stack.isEmpty { return true }
        guard stack.count == 1 else { return false }
        switch stack[0] {
        case .number(_, let phase, _): return Self.numberIsWhole(phase)
        case .literal(let node, let position, let alive):
            guard case .literals(let texts) = grammar.nodes[node] else { return false }
            return texts.indices.contains { alive & (1 << UInt64($0)) != 0 && texts[$0].count == position }
        default: return false
        }
    }

    /// True inside a string that takes any text: the mask can allow plain text tokens without trying each.
    var freeStringRoom: Int? {
        guard case .string(let maxLength, let length, 0, 0, _)? = stack.last else { return nil }
        return maxLength.map { $0 - length } ?? Int.max
    }

    public mutating func advance(_ bytes: [UInt8]) -> Bool {
        for byte in bytes where !advance(byte) { return false }
        return true
    }

    public mutating func advance(_ byte: UInt8) -> Bool {
        while let top = stack.last {
            switch step(top, byte) {
            case .accepted: return true
            case .rejected: return false
            case .retry: continue
            }
        }
        return false
    }

    private enum Outcome {
        case accepted, rejected
        /// The frame ended without taking the byte (a number, a literal that is a prefix of another): try again.
        case retry
    }

    private mutating func step(_ frame: Frame, _ byte: UInt8) -> Outcome {
        switch frame {
        case .value(let node):
            return start(node, byte)
        case .object(let node, let next, let phase):
            guard case .object(let properties, let exactlyOne) = grammar.nodes[node] else { return .rejected }
            let requiredLeft = properties[next...].contains { $0.required } || (exactlyOne && phase == 0)
            if byte == UInt8(ascii: "}"), phase != 2, !requiredLeft {
                return close()
            }
            if byte == UInt8(ascii: ","), phase == 1, next < properties.count, !exactlyOne {
                replaceTop(.object(node: node, next: next, phase: 2))
                return .accepted
            }
            guard byte == UInt8(ascii: "\""), phase == 0 || phase == 2, next < properties.count else { return .rejected }
            var alive: UInt64 = 0
            for offset in 0..<min(properties.count - next, JSONGrammar.maxChoices) {
                alive |= 1 << UInt64(offset)
                if properties[next + offset].required { break }
            }
            stack.append(.key(node: node, base: next, position: 1, alive: alive))
            return .accepted
        case .key(let node, let base, let position, var alive):
            guard case .object(let properties, _) = grammar.nodes[node] else { return .rejected }
            var finished: Int?
            for offset in 0..<JSONGrammar.maxChoices where alive & (1 << UInt64(offset)) != 0 {
                let key = properties[base + offset].key
                if position < key.count, key[position] == byte {
                    if position + 1 == key.count { finished = base + offset }
                } else {
                    alive &= ~(1 << UInt64(offset))
                }
            }
            guard alive != 0 else { return .rejected }
            if let finished {
                stack.removeLast()
                replaceTop(.object(node: node, next: finished + 1, phase: 3))
                stack.append(.value(properties[finished].value))
            } else {
                replaceTop(.key(node: node, base: base, position: position + 1, alive: alive))
            }
            return .accepted
        case .array(let node, let count, let phase):
            guard case .array(let items, let minItems, let maxItems) = grammar.nodes[node] else { return .rejected }
            if byte == UInt8(ascii: "]"), phase != 2, count >= minItems { return close() }
            if byte == UInt8(ascii: ","), phase == 1, maxItems.map({ count < $0 }) ?? true {
                replaceTop(.array(node: node, count: count, phase: 2))
                return .accepted
            }
            guard phase == 0 || phase == 2, maxItems.map({ count < $0 }) ?? true else { return .rejected }
            replaceTop(.array(node: node, count: count, phase: 3))
            stack.append(.value(items))
            return .retry
        case .string(let maxLength, let length, let escape, let pending, let lead):
            if pending > 0 {
                guard Self.continuationRange(after: lead).contains(byte) else { return .rejected }
                replaceTop(.string(maxLength: maxLength, length: length, escape: 0, pending: pending - 1))
                return .accepted
            }
            return string(maxLength: maxLength, length: length, escape: escape, byte)
        case .number(let integer, let phase, let digits):
            return number(integer: integer, phase: phase, digits: digits, byte)
        case .literal(let node, let position, let alive):
            return literal(node: node, position: position, alive: alive, byte)
        case .freeObject(let phase):
            switch (phase, byte) {
            case (0, UInt8(ascii: "}")), (3, UInt8(ascii: "}")): return close()
            case (0, UInt8(ascii: "\"")), (4, UInt8(ascii: "\"")):
                replaceTop(.freeObject(phase: 5))
                stack.append(.string(maxLength: nil, length: 0, escape: 0))
                return .accepted
            case (1, UInt8(ascii: ":")):
                replaceTop(.freeObject(phase: 2))
                stack.append(.value(-1))
                return .accepted
            case (3, UInt8(ascii: ",")):
                replaceTop(.freeObject(phase: 4))
                return .accepted
            default: return .rejected
            }
        case .freeArray(let phase):
            if byte == UInt8(ascii: "]"), phase == 0 || phase == 1 { return close() }
            if byte == UInt8(ascii: ","), phase == 1 {
                replaceTop(.freeArray(phase: 2))
                return .accepted
            }
            guard phase == 0 || phase == 2 else { return .rejected }
            replaceTop(.freeArray(phase: 3))
            stack.append(.value(-1))
            return .retry
        }
    }

    /// The first byte of a value: the frame that matches the rest. Node -1 is any JSON value.
    private mutating func start(_ node: Int, _ byte: UInt8) -> Outcome {
        let kind: JSONGrammar.Node = node < 0 ? .anyValue : grammar.nodes[node]
        switch kind {
        case .object:
            guard byte == UInt8(ascii: "{") else { return .rejected }
            replaceTop(.object(node: node, next: 0, phase: 0))
            return .accepted
        case .anyObject:
            guard byte == UInt8(ascii: "{") else { return .rejected }
            replaceTop(.freeObject(phase: 0))
            return .accepted
        case .array:
            guard byte == UInt8(ascii: "[") else { return .rejected }
            replaceTop(.array(node: node, count: 0, phase: 0))
            return .accepted
        case .string(let maxLength):
            guard byte == UInt8(ascii: "\"") else { return .rejected }
            replaceTop(.string(maxLength: maxLength, length: 0, escape: 0))
            return .accepted
        case .number(let integer):
            replaceTop(.number(integer: integer, phase: 0, digits: 0))
            return .retry
        case .literals(let texts):
            replaceTop(.literal(node: node, position: 0, alive: texts.count == 64 ? UInt64.max : (1 << UInt64(texts.count)) - 1))
            return .retry
        case .anyOf(let branches):
            guard let branch = branches.first(where: { grammar.firstBytes(of: $0).contains(byte) }) else { return .rejected }
            replaceTop(.value(branch))
            return .retry
        case .anyValue:
            switch byte {
            case UInt8(ascii: "{"): replaceTop(.freeObject(phase: 0))
            case UInt8(ascii: "["): replaceTop(.freeArray(phase: 0))
            case UInt8(ascii: "\""): replaceTop(.string(maxLength: nil, length: 0, escape: 0))
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                replaceTop(.number(integer: false, phase: 0, digits: 0))
                return .retry
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                replaceTop(.value(grammar.keywords))
                return .retry
            default: return .rejected
            }
            return .accepted
        }
    }

    private mutating func string(maxLength: Int?, length: Int, escape: UInt8, _ byte: UInt8) -> Outcome {
        switch escape {
        case 0:
            if byte == UInt8(ascii: "\"") { return close() }
            // Control bytes, and bytes that cannot start a UTF-8 sequence: a string ends only on whole characters,
            // so the text stays valid UTF-8 and its length in characters is what `maxLength` counted.
            guard byte >= 0x20, let following = Self.continuationCount(lead: byte) else { return .rejected }
            if let maxLength, length >= maxLength { return .rejected }
            replaceTop(.string(
                maxLength: maxLength, length: length + 1, escape: byte == UInt8(ascii: "\\") ? 1 : 0, pending: following, lead: following > 0 ? byte : 0))
            return .accepted
        case 1:
            if byte == UInt8(ascii: "u") {
                replaceTop(.string(maxLength: maxLength, length: length, escape: 5))
                return .accepted
            }
            guard Array("\"\\/bfnrt".utf8).contains(byte) else { return .rejected }
            replaceTop(.string(maxLength: maxLength, length: length, escape: 0))
            return .accepted
        default:
            guard Self.isHex(byte) else { return .rejected }
            replaceTop(.string(maxLength: maxLength, length: length, escape: escape == 2 ? 0 : escape - 1))
            return .accepted
        }
    }

    /// Continuation bytes after a first byte of UTF-8; nil for bytes that cannot start a character.
    static func continuationCount(lead byte: UInt8) -> UInt8? {
        switch byte {
        case 0x00...0x7F: return 0
        case 0xC2...0xDF: return 1
        case 0xE0...0xEF: return 2
        case 0xF0...0xF4: return 3
        default: return nil
        }
    }

    /// The bytes allowed right after `lead` (0 for a later continuation): UTF-8 without overlong forms,
    /// surrogates, or code points past U+10FFFF.
    static func continuationRange(after lead: UInt8) -> ClosedRange<UInt8> {
        switch lead {
        case 0xE0: return 0xA0...0xBF
        case 0xED: return 0x80...0x9F
        case 0xF0: return 0x90...0xBF
        case 0xF4: return 0x80...0x8F
        default: return 0x80...0xBF
        }
    }

    /// Phases: 0 start, 1 after `-`, 2 a leading 0, 3 integer digits, 4 after `.`, 5 fraction digits, 6 after
    /// `e`, 7 after the exponent's sign, 8 exponent digits.
    private mutating func number(integer: Bool, phase: UInt8, digits: UInt8, _ byte: UInt8) -> Outcome {
        let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        switch phase {
        case 0, 1:
            if phase == 0, byte == UInt8(ascii: "-") { return setNumber(integer, 1, 0) }
            guard isDigit else { return .rejected }
            return setNumber(integer, byte == UInt8(ascii: "0") ? 2 : 3, 1)
        case 4, 6, 7:
            if phase == 6, byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-") { return setNumber(integer, 7, 0) }
            guard isDigit else { return .rejected }
            return setNumber(integer, phase == 4 ? 5 : 8, 1)
        default:
            if isDigit, phase != 2 {
                let limit = phase == 8 ? 3 : Self.maxDigits
                return digits < limit ? setNumber(integer, phase, digits + 1) : .rejected
            }
            if !integer, byte == UInt8(ascii: "."), phase == 2 || phase == 3 { return setNumber(integer, 4, 0) }
            if !integer, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E"), phase != 8 { return setNumber(integer, 6, 0) }
            // Any other byte ends the number; the frame below takes it.
            stack.removeLast()
            childCompleted()
            return stack.isEmpty ? .rejected : .retry
        }
    }

    private mutating func setNumber(_ integer: Bool, _ phase: UInt8, _ digits: UInt8) -> Outcome {
        replaceTop(.number(integer: integer, phase: phase, digits: digits))
        return .accepted
    }

    private mutating func literal(node: Int, position: Int, alive: UInt64, _ byte: UInt8) -> Outcome {
        guard case .literals(let texts) = grammar.nodes[node] else { return .rejected }
        var remaining: UInt64 = 0
        var wholeBefore = false
        for index in texts.indices where alive & (1 << UInt64(index)) != 0 {
            if texts[index].count == position { wholeBefore = true }
            if position < texts[index].count, texts[index][position] == byte { remaining |= 1 << UInt64(index) }
        }
        if remaining == 0 {
            // A value such as 1 that is whole and a prefix of another (10): the byte belongs to what follows.
            guard wholeBefore else { return .rejected }
            stack.removeLast()
            childCompleted()
            return stack.isEmpty ? .rejected : .retry
        }
        let longer = texts.indices.contains { remaining & (1 << UInt64($0)) != 0 && texts[$0].count > position + 1 }
        if !longer {
            stack.removeLast()
            childCompleted()
        } else {
            replaceTop(.literal(node: node, position: position + 1, alive: remaining))
        }
        return .accepted
    }

    private mutating func close() -> Outcome {
        stack.removeLast()
        childCompleted()
        return .accepted
    }

    /// The frame on top has a finished value inside it.
    private mutating func childCompleted() {
        guard let top = stack.last else { return }
        switch top {
        case .object(let node, let next, 3): replaceTop(.object(node: node, next: next, phase: 1))
        case .array(let node, let count, 3): replaceTop(.array(node: node, count: count + 1, phase: 1))
        case .freeObject(5): replaceTop(.freeObject(phase: 1))
        case .freeObject(2): replaceTop(.freeObject(phase: 3))
        case .freeArray(3): replaceTop(.freeArray(phase: 1))
        default: break
        }
    }

    private mutating func replaceTop(_ frame: Frame) {
        stack[stack.count - 1] = frame
    }

    static func numberIsWhole(_ phase: UInt8) -> Bool { phase == 2 || phase == 3 || phase == 5 || phase == 8 }

    private static func isHex(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }

    // MARK: Finishing

    /// The shortest text that makes the document whole from here.
    public func completion() -> [UInt8] {
        var copy = self
        var text: [UInt8] = []
        while !copy.stack.isEmpty, text.count < 100_000 {
            if copy.stack.count == 1, copy.isComplete { break }
            let bytes = copy.closing()
            if bytes.isEmpty {
                // A whole number or literal ends only when the next byte is not its own: end it here.
                copy.stack.removeLast()
                copy.childCompleted()
                continue
            }
            for byte in bytes where !copy.advance(byte) { return text }
            text += bytes
        }
        return text
    }

    /// The shortest bytes that move the top frame towards its end.
    private func closing() -> [UInt8] {
        guard let top = stack.last else { return [] }
        let comma = UInt8(ascii: ",")
        switch top {
        case .value(let node):
            return node < 0 ? Array("null".utf8) : grammar.minimal[node]
        case .object(let node, let next, let phase):
            guard case .object(let properties, let exactlyOne) = grammar.nodes[node] else { return [] }
            if phase == 2 || (exactlyOne && phase == 0) {
                // The key of the property whose whole entry is shortest.
                let shortest = properties[next...].min { $0.key.count + grammar.minimal[$0.value].count < $1.key.count + grammar.minimal[$1.value].count }!
                return shortest.key
            }
            if let required = properties[next...].first(where: \.required) { return (phase == 1 ? [comma] : []) + required.key }
            return Array("}".utf8)
        case .key(let node, let base, let position, let alive):
            guard case .object(let properties, _) = grammar.nodes[node] else { return [] }
            let offset = alive.trailingZeroBitCount
            return Array(properties[base + offset].key[position...])
        case .array(let node, let count, let phase):
            guard case .array(let items, let minItems, _) = grammar.nodes[node] else { return [] }
            if phase == 2 { return grammar.minimal[items] }
            return count < minItems ? (phase == 1 ? [comma] : []) + grammar.minimal[items] : Array("]".utf8)
        case .string(_, _, let escape, let pending, let lead):
            if pending > 0 {
                return [Self.continuationRange(after: lead).lowerBound] + Array(repeating: 0x80, count: Int(pending) - 1) + Array("\"".utf8)
            }
            switch escape {
            case 0: return Array("\"".utf8)
            case 1: return Array("n".utf8)
            default: return Array(repeating: UInt8(ascii: "0"), count: Int(escape) - 1)
            }
        case .number(_, let phase, _):
            return Self.numberIsWhole(phase) ? [] : Array("0".utf8)
        case .literal(let node, let position, let alive):
            guard case .literals(let texts) = grammar.nodes[node] else { return [] }
            let shortest = texts.indices.filter { alive & (1 << UInt64($0)) != 0 }.min { texts[$0].count < texts[$1].count }!
            return Array(texts[shortest][position...])
        case .freeObject(let phase):
            switch phase {
            case 1: return Array(":".utf8)
            case 4: return Array("\"\":0".utf8)
            default: return Array("}".utf8)
            }
        case .freeArray(let phase):
            return phase == 2 ? Array("0".utf8) : Array("]".utf8)
        }
    }
}
