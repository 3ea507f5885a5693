import Foundation
import LoomWorkflow

/// The operations of an OpenAPI 3 document, each ready to become a tool: its method and path, parameters (path,
/// query, header, and the JSON body's properties) with their types, and a description. Local `$ref`s to
/// components are followed; one that leads nowhere is an error naming it.
public struct OpenAPIDocument: Sendable {
    public struct Operation: Sendable {
        public enum Location: String, Sendable {
            case path, query, header, body
        }

        public var name: String
        public var method: String
        public var path: String
        public var description: String
        public var parameters: [(parameter: ToolParameter, location: Location)]
        /// The body is one value rather than an object's properties: it goes whole as parameter `body`.
        public var wholeBody: Bool
    }

    public var title: String
    public var baseURL: String?
    public var operations: [Operation]

    public init(text: String, file: String) throws(OpenAPIError) {
        let root = try Self.parse(text, file: file)
        guard let version = root[path: ["openapi"]]?.stringValue, version.hasPrefix("3.") else {
            throw .malformed("\(file): not an OpenAPI 3 document (no 'openapi: 3.x')")
        }
        title = root[path: ["info", "title"]]?.stringValue ?? file
        baseURL = root[path: ["servers", "0", "url"]]?.stringValue
        var operations: [Operation] = []
        for (path, item) in (root[path: ["paths"]]?.objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            let shared = item[path: ["parameters"]]?.arrayValue ?? []
            for method in ["get", "post", "put", "patch", "delete"] {
                guard let operation = item[path: [method]] else { continue }
                operations.append(try Self.operation(operation, method: method, path: path, shared: shared, root: root))
            }
        }
        guard !operations.isEmpty else { throw .malformed("\(file): the document has no operations under 'paths'") }
        self.operations = operations
    }

    private static func operation(_ operation: Value, method: String, path: String, shared: [Value], root: Value) throws(OpenAPIError) -> Operation {
        let rawName = operation[path: ["operationId"]]?.stringValue ?? method + path
        let name = String(rawName.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" }).trimmingCharacters(in: CharacterSet(charactersIn: "_"))
        var parameters: [(ToolParameter, Operation.Location)] = []
        for item in shared + (operation[path: ["parameters"]]?.arrayValue ?? []) {
            let parameter = try resolve(item, root: root)
            guard let parameterName = parameter[path: ["name"]]?.stringValue,
                let location = parameter[path: ["in"]]?.stringValue.flatMap(Operation.Location.init(rawValue:)), location != .body
            else { continue }
            let schema = try parameter[path: ["schema"]].map { value throws(OpenAPIError) in try resolve(value, root: root) }
            parameters.removeAll { $0.0.name == parameterName }
            parameters.append((ToolParameter(
                parameterName, kind(schema), required: parameter[path: ["required"]]?.boolValue ?? (location == .path),
                description: parameter[path: ["description"]]?.stringValue ?? ""), location))
        }
        var wholeBody = false
        if let body = try operation[path: ["requestBody"]].map({ value throws(OpenAPIError) in try resolve(value, root: root) }),
            let schemaValue = body[path: ["content", "application/json", "schema"]]
        {
            let schema = try resolve(schemaValue, root: root)
            let required = Set((schema[path: ["required"]]?.arrayValue ?? []).compactMap(\.stringValue))
            if let properties = schema[path: ["properties"]]?.objectValue {
                for (property, value) in properties.sorted(by: { $0.key < $1.key }) {
                    let resolved = try resolve(value, root: root)
                    parameters.append((ToolParameter(
                        property, kind(resolved), required: required.contains(property), description: resolved[path: ["description"]]?.stringValue ?? ""), .body))
                }
            } else {
                wholeBody = true
                parameters.append((ToolParameter("body", kind(schema), required: body[path: ["required"]]?.boolValue ?? false, description: "The request body"), .body))
            }
        }
        let description = [operation[path: ["summary"]]?.stringValue, operation[path: ["description"]]?.stringValue].compactMap { $0 }.joined(separator: " ")
        return Operation(
            name: name, method: method.uppercased(), path: path, description: description.isEmpty ? "\(method.uppercased()) \(path)" : description,
            parameters: parameters, wholeBody: wholeBody)
    }

    /// A YAML or JSON file's value; a syntax error names its place.
    static func parse(_ text: String, file: String) throws(OpenAPIError) -> Value {
        do {
            return try DocumentFormat.detect(fileName: file, text: text).parse(text).value
        } catch {
            throw .malformed("\(file):\(error.location.line):\(error.location.column): \(error.message)")
        }
    }

    /// Follows `$ref` (local, to the document itself) until a value that is not one.
    static func resolve(_ value: Value, root: Value, depth: Int = 0) throws(OpenAPIError) -> Value {
        guard let reference = value[path: ["$ref"]]?.stringValue else { return value }
        guard depth < 16 else { throw .unresolvable(reference, reason: "references refer to each other in a circle") }
        guard reference.hasPrefix("#/") else { throw .unresolvable(reference, reason: "only references within the document (#/…) are followed") }
        let segments = reference.dropFirst(2).split(separator: "/").map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
        guard let target = root[path: segments[...]] else { throw .unresolvable(reference, reason: "nothing is there") }
        return try resolve(target, root: root, depth: depth + 1)
    }

    private static func kind(_ schema: Value?) -> ToolParameter.Kind {
        schema?[path: ["type"]]?.stringValue.flatMap(ToolParameter.Kind.init(rawValue:)) ?? .string
    }
}

public enum OpenAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed(String)
    case unresolvable(String, reason: String)

    public var description: String {
        switch self {
        case .malformed(let message): return message
        case .unresolvable(let reference, let reason): return "cannot resolve '\(reference)': \(reason)"
        }
    }
}
