/// A reference into the variable pool: `inputs.ticket`, `draft.text`, `fetch.json.items.0.name`.
/// The first segment names a namespace (`inputs`, `sys`, `env`, `conversation`) or a node id; the second an
/// output; the rest index into objects and arrays.
public struct VariablePath: Sendable, Hashable, CustomStringConvertible {
    public var segments: [String]

    public init(_ segments: [String]) {
        self.segments = segments
    }

    /// Parses `a.b.c`; Dify's selector arrays map onto the same segments.
    public init?(parsing text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 1, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isNameCharacter) }) else {
            return nil
        }
        self.segments = parts
    }

    public var root: String { segments[0] }
    public var output: String? { segments.count > 1 ? segments[1] : nil }

    public var description: String { segments.joined(separator: ".") }

    /// One segment: a variable, input or output name.
    public static func isName(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy(isNameCharacter)
    }

    static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }
}

/// Namespaces that are not node ids.
public enum VariableNamespace {
    public static let inputs = "inputs"
    public static let sys = "sys"
    public static let env = "env"
    public static let conversation = "conversation"
    public static let all: Set<String> = [inputs, sys, env, conversation]

    /// What `sys.*` holds; Dify's names are kept as aliases so imported templates read the same values.
    public static let systemVariables: Set<String> = [
        "run_id", "workflow_run_id", "app", "app_id", "workflow_id", "user", "user_id", "timestamp", "query",
        "conversation_id", "dialogue_count", "files",
    ]
}
