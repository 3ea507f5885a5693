/// What an import of one Dify DSL did: the nodes mapped per Dify type, the nodes that have no Loom equivalent
/// and why, and settings carried over only in part.
public struct DifyImportReport: Sendable {
    public struct Unmapped: Sendable, Hashable {
        public var nodeId: String
        public var difyType: String
        public var reason: String
    }

    public struct Note: Sendable, Hashable {
        /// nil for notes about the whole app.
        public var nodeId: String?
        public var message: String
    }

    public var difyVersion: String
    public var mode: String
    public var mapped: [String: Int] = [:]
    public var unmapped: [Unmapped] = []
    public var notes: [Note] = []

    public init(difyVersion: String, mode: String) {
        self.difyVersion = difyVersion
        self.mode = mode
    }

    /// Notes and unmapped reasons of one node, for comments above it.
    func comments(for nodeId: String) -> [String] {
        unmapped.filter { $0.nodeId == nodeId }.map { "not mapped (Dify \($0.difyType)): \($0.reason)" }
            + notes.filter { $0.nodeId == nodeId }.map(\.message)
    }

    /// As JSON, for the admin API's answer to a deploy.
    public var value: Value {
        [
            "dify_version": .string(difyVersion), "mode": .string(mode), "mapped": .object(mapped.mapValues(Value.int)),
            "unmapped": .array(unmapped.map { ["node": .string($0.nodeId), "dify_type": .string($0.difyType), "reason": .string($0.reason)] }),
            "notes": .array(notes.map { ["node": $0.nodeId.map(Value.string) ?? .null, "message": .string($0.message)] }),
        ]
    }
}
