/// One declared input of a run.
public struct InputDeclaration: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case text, paragraph, select, number, boolean, json
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    public var defaultValue: Value?
    public var maxLength: Int?
    public var options: [String]
    public var label: String?
    public var location: SourceLocation
}
