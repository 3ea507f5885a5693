import Foundation

/// Who and what a run is for: the values of the `sys` and `env` namespaces.
public struct RunContext: Sendable {
    public var runId: String
    public var appId: String?
    public var user: String
    public var query: String?
    public var conversationId: String?
    /// Which turn of its conversation this run answers, 1 for the first (chat apps; Dify's `sys.dialogue_count`).
    public var dialogueCount: Int?
    /// The files the caller gave (`sys.files`): objects with `type` and `url`, as Dify's API takes them.
    public var files: [Value]
    public var startedAt: Date
    /// Values for the workflow's declared `env` variables; undeclared names are ignored.
    public var environment: [String: String]
    /// Earlier turns of the conversation, oldest first (chat apps): what llm nodes with `memory` see.
    public var history: [ChatMessage]
    /// The conversation variables as the previous turn left them; declared variables missing here (or no longer of
    /// their declared type) start from their defaults.
    public var conversationVariables: [String: Value]

    public init(
        runId: String = UUID.random().lowercasedString, appId: String? = nil, user: String = "anonymous",
        query: String? = nil, conversationId: String? = nil, dialogueCount: Int? = nil, files: [Value] = [], startedAt: Date = Date(),
        environment: [String: String] = [:], history: [ChatMessage] = [], conversationVariables: [String: Value] = [:]
    ) {
        self.dialogueCount = dialogueCount
        self.files = files
        self.conversationVariables = conversationVariables
        self.runId = runId
        self.appId = appId
        self.user = user
        self.query = query
        self.conversationId = conversationId
        self.startedAt = startedAt
        self.environment = environment
        self.history = history
    }
}
