import Foundation

/// A JSON schema compiled for matching a byte at a time: nodes by index (so matcher frames stay small), each
/// property's key as the exact bytes `"name":`, and each node's shortest valid text. Output is compact JSON:
/// no whitespace, properties in the schema's order.
public struct JSONGrammar: Sendable {
    enum Node: Sendable {
        /// `exactlyOne`: one property, whichever (the key decides what the value is).
        case object(properties: [PropertyRule], exactlyOne: Bool)
        case array(items: Int, minItems: Int, maxItems: Int?)
        case string(maxLength: Int?)
        case number(integer: Bool)
        case literals([[UInt8]])
        /// Branches told apart by their first byte.
        case anyOf([Int])
        case anyValue
        case anyObject
    }

    struct PropertyRule: Sendable {
        var key: [UInt8]
        var value: Int
        var required: Bool
    }

    /// Enum values and candidate keys are tracked in a 64-bit mask.
    static let maxChoices = 64

    private(set) var nodes: [Node] = []
    private(set) var minimal: [[UInt8]] = []
    /// `true`, `false` and `null`, for values of any type.
    private(set) var keywords = 0
    private(set) var root = 0

    public init(_ schema: JSONSchema) throws(JSONSchemaError) {
        keywords = add(.literals([Array("true".utf8), Array("false".utf8), Array("null".utf8)]), minimal: Array("null".utf8))
        root = try compile(schema, path: "#")
    }

    private mutating func add(_ node: Node, minimal text: [UInt8]) -> Int {
        nodes.append(node)
        minimal.append(text)
        return nodes.count - 1
    }

    private mutating func compile(_ schema: JSONSchema, path: String) throws(JSONSchemaError) -> Int {
        switch schema {
        case .object(let properties, let required):
            var rules: [PropertyRule] = []
            var shortest: [UInt8] = Array("{".utf8)
            for property in properties {
                let key = Self.key(property.name)
                let value = try compile(property.schema, path: path + "/properties/" + property.name)
                let isRequired = required.contains(property.name)
                if isRequired {
                    if shortest.count > 1 { shortest.append(UInt8(ascii: ",")) }
                    shortest += key + minimal[value]
                }
                rules.append(PropertyRule(key: key, value: value, required: isRequired))
            }
            // A key is matched among the properties that may come next: those up to the next required one.
            var run = 0
            for rule in rules {
                run += 1
                if run > Self.maxChoices { throw .unsupported(keyword: "more than \(Self.maxChoices) optional properties in a row", path: path) }
                if rule.required { run = 0 }
            }
            return add(.object(properties: rules, exactlyOne: false), minimal: shortest + Array("}".utf8))
        case .oneOf(let keys):
            guard !keys.isEmpty, keys.count <= Self.maxChoices else {
                throw .unsupported(keyword: "a choice among \(keys.count) keys (1 to \(Self.maxChoices))", path: path)
            }
            var rules: [PropertyRule] = []
            for property in keys {
                let value = try compile(property.schema, path: path + "/" + property.name)
                rules.append(PropertyRule(key: Self.key(property.name), value: value, required: false))
            }
            let shortest = rules.map { Array("{".utf8) + $0.key + minimal[$0.value] + Array("}".utf8) }.min { $0.count < $1.count }!
            return add(.object(properties: rules, exactlyOne: true), minimal: shortest)
        case .array(let items, let minItems, let maxItems):
            let item = try compile(items, path: path + "/items")
            let shortest = Array("[".utf8) + Array(repeating: minimal[item], count: minItems).joined(separator: Array(",".utf8)) + Array("]".utf8)
            return add(.array(items: item, minItems: minItems, maxItems: maxItems), minimal: shortest)
        case .string(let maxLength):
            return add(.string(maxLength: maxLength), minimal: Array("\"\"".utf8))
        case .number, .integer:
            return add(.number(integer: schema == .integer), minimal: Array("0".utf8))
        case .boolean:
            return add(.literals([Array("true".utf8), Array("false".utf8)]), minimal: Array("true".utf8))
        case .null:
            return add(.literals([Array("null".utf8)]), minimal: Array("null".utf8))
        case .literals(let values):
            guard values.count <= Self.maxChoices else { throw .unsupported(keyword: "enum with more than \(Self.maxChoices) values", path: path) }
            let texts = values.map { Array($0.utf8) }
            return add(.literals(texts), minimal: texts.min { $0.count < $1.count } ?? [])
        case .anyOf(let branches):
            let compiled = try branches.enumerated().map { index, branch throws(JSONSchemaError) in try compile(branch, path: "\(path)/anyOf/\(index)") }
            var claimed = Set<UInt8>()
            for branch in compiled {
                let starts = firstBytes(of: branch)
                guard claimed.isDisjoint(with: starts) else {
                    throw .unsupported(keyword: "anyOf with branches that can start alike (such as number and integer, or two objects)", path: path)
                }
                claimed.formUnion(starts)
            }
            return add(.anyOf(compiled), minimal: minimal[compiled[0]])
        case .anyValue:
            return add(.anyValue, minimal: Array("null".utf8))
        case .anyObject:
            return add(.anyObject, minimal: Array("{}".utf8))
        }
    }

    /// The bytes a value of the node can begin with.
    func firstBytes(of node: Int) -> Set<UInt8> {
        let numberStart = Set(Array("-0123456789".utf8))
        switch nodes[node] {
        case .object, .anyObject: return [UInt8(ascii: "{")]
        case .array: return [UInt8(ascii: "[")]
        case .string: return [UInt8(ascii: "\"")]
        case .number: return numberStart
        case .literals(let texts): return Set(texts.compactMap(\.first))
        case .anyOf(let branches): return branches.reduce(into: Set<UInt8>()) { $0.formUnion(firstBytes(of: $1)) }
        case .anyValue: return numberStart.union(Array("{[\"tfn".utf8))
        }
    }

    /// `"name":` as a JSON writer writes the name (the escapes JSONSerialization chooses are the ones matched).
    static func key(_ name: String) -> [UInt8] {
        let quoted = (try? JSONSerialization.data(withJSONObject: name, options: [.fragmentsAllowed, .withoutEscapingSlashes])).map(Array.init) ?? Array("\"\"".utf8)
        return quoted + Array(":".utf8)
    }
}
