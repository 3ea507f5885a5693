import Foundation

/// The part of JSON Schema that constrained generation supports: objects (properties, required, no other keys),
/// arrays (items, minItems, maxItems), strings (maxLength), numbers, integers, booleans, null, enum and const,
/// anyOf and type lists whose branches start differently, `$ref` to `$defs`/`definitions`, and — for
/// `json_object` mode — any JSON value. Anything else is refused by keyword.
public indirect enum JSONSchema: Sendable, Equatable {
    case object(properties: [Property], required: Set<String>)
    case array(items: JSONSchema, minItems: Int, maxItems: Int?)
    case string(maxLength: Int?)
    case number
    case integer
    case boolean
    case null
    /// The allowed values, each as compact JSON text.
    case literals([String])
    case anyOf([JSONSchema])
    /// Any JSON value (OpenAI's `json_object` mode asks for an object: `.anyObject`).
    case anyValue
    case anyObject
    /// An object with exactly one of these properties: a tool call `{"name": {arguments}}`, the key naming the
    /// tool and so the arguments' schema.
    case oneOf(keys: [Property])

    public struct Property: Sendable, Equatable {
        public var name: String
        public var schema: JSONSchema

        public init(name: String, schema: JSONSchema) {
            self.name = name
            self.schema = schema
        }
    }

    /// Keywords that describe rather than constrain: read past.
    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "additionalProperties", "strict", "format",
        "$defs", "definitions",
    ]

    /// Reads a schema from JSON text.
    public init(json: String) throws(JSONSchemaError) {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        } catch {
            throw .malformed("the schema is not JSON: \(error.localizedDescription)")
        }
        try self.init(parsed, root: parsed, path: "#", depth: 0)
    }

    private init(_ node: Any, root: Any, path: String, depth: Int) throws(JSONSchemaError) {
        guard depth < 32 else { throw .malformed("\(path): the schema nests (or refers to itself) more than 32 levels deep") }
        guard let fields = node as? [String: Any] else {
            // `true` allows anything; `false` nothing.
            guard let flag = node as? Bool else { throw .malformed("\(path): a schema must be an object") }
            guard flag else { throw .malformed("\(path): the schema 'false' allows nothing") }
            self = .anyValue
            return
        }
        if let reference = fields["$ref"] as? String {
            try self.init(Self.resolve(reference, in: root, at: path), root: root, path: reference, depth: depth + 1)
            return
        }
        let constraining: Set<String> = ["type", "properties", "required", "items", "minItems", "maxItems", "maxLength", "enum", "const", "anyOf", "oneOf"]
        for key in fields.keys.sorted() where !constraining.contains(key) && !Self.annotations.contains(key) {
            throw .unsupported(keyword: key, path: path)
        }
        if let extra = fields["additionalProperties"], !(extra is Bool && (extra as? Bool) == false) {
            if let allowed = extra as? Bool, allowed, fields["properties"] == nil {
                self = .anyObject
                return
            }
            throw .unsupported(keyword: "additionalProperties", path: path)
        }
        if let values = fields["enum"] as? [Any] {
            guard !values.isEmpty else { throw .malformed("\(path): 'enum' is empty") }
            self = .literals(try values.map { value throws(JSONSchemaError) in try Self.compact(value, path: path) })
            return
        }
        if let value = fields["const"] {
            self = .literals([try Self.compact(value, path: path)])
            return
        }
        if let branches = (fields["anyOf"] ?? fields["oneOf"]) as? [Any] {
            self = .anyOf(try branches.enumerated().map { index, branch throws(JSONSchemaError) in
                try JSONSchema(branch, root: root, path: "\(path)/anyOf/\(index)", depth: depth + 1)
            })
            return
        }
        if let types = fields["type"] as? [String] {
            var narrowed = fields
            self = .anyOf(try types.map { type throws(JSONSchemaError) in
                narrowed["type"] = type
                return try JSONSchema(narrowed, root: root, path: path, depth: depth + 1)
            })
            return
        }
        guard let type = fields["type"] as? String else {
            if fields["properties"] != nil { try self.init(fields.merging(["type": "object"]) { own, _ in own }, root: root, path: path, depth: depth) } else { self = .anyValue }
            return
        }
        switch type {
        case "object":
            guard let properties = fields["properties"] as? [String: Any] else {
                self = .anyObject
                return
            }
            let requiredList = fields["required"] as? [String] ?? []
            let required = Set(requiredList)
            if let missing = required.subtracting(properties.keys).sorted().first {
                throw .malformed("\(path): required property '\(missing)' is not among the properties")
            }
            // Properties are generated in one order: the `required` list's (an array keeps its order, as OpenAI's
            // strict mode lists every property there), then the optional ones by name.
            var seen = Set<String>()
            let order = requiredList.filter { seen.insert($0).inserted } + properties.keys.filter { !required.contains($0) }.sorted()
            self = .object(
                properties: try order.map { name throws(JSONSchemaError) in
                    Property(name: name, schema: try JSONSchema(properties[name]!, root: root, path: "\(path)/properties/\(name)", depth: depth + 1))
                }, required: required)
        case "array":
            let items = try fields["items"].map { item throws(JSONSchemaError) in try JSONSchema(item, root: root, path: "\(path)/items", depth: depth + 1) } ?? .anyValue
            let minimum = (fields["minItems"] as? Int) ?? 0
            let maximum = fields["maxItems"] as? Int
            if let maximum, maximum < minimum { throw .malformed("\(path): maxItems is below minItems") }
            self = .array(items: items, minItems: minimum, maxItems: maximum)
        case "string": self = .string(maxLength: fields["maxLength"] as? Int)
        case "number": self = .number
        case "integer": self = .integer
        case "boolean": self = .boolean
        case "null": self = .null
        default: throw .malformed("\(path): unknown type '\(type)'")
        }
    }

    private static func resolve(_ reference: String, in root: Any, at path: String) throws(JSONSchemaError) -> Any {
        guard reference.hasPrefix("#/") else { throw .unsupported(keyword: "$ref to '\(reference)' (only local #/$defs/… references)", path: path) }
        var node: Any = root
        for part in reference.dropFirst(2).split(separator: "/") {
            let key = part.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = (node as? [String: Any])?[key] else { throw .malformed("\(path): '$ref' \(reference) points at nothing") }
            node = next
        }
        return node
    }

    private static func compact(_ value: Any, path: String) throws(JSONSchemaError) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]),
            let text = String(data: data, encoding: .utf8)
        else { throw .malformed("\(path): an enum or const value is not JSON") }
        return text
    }
}

public enum JSONSchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupported(keyword: String, path: String)
    case malformed(String)

    public var description: String {
        switch self {
        case .unsupported(let keyword, let path): return "JSON schema keyword '\(keyword)' (at \(path)) is not supported for constrained generation"
        case .malformed(let message): return message
        }
    }
}
