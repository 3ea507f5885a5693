/// One training example, in OpenAI's chat fine-tuning shape (`{"messages": [{role, content}…]}`) or as
/// `{prompt, completion}`. Parsing checks what every trainer needs: roles in order, no empty turns, something for
/// the model to learn (an assistant turn or a completion).
public enum TrainingRecord: Sendable, Equatable {
    case chat([Turn])
    case completion(prompt: String, completion: String)

    public struct Turn: Sendable, Equatable {
        public var role: ChatMessage.Role
        public var content: String
        /// OpenAI's per-message `weight`: an assistant turn with weight 0 is context, not learned.
        public var trained: Bool

        public init(_ role: ChatMessage.Role, _ content: String, trained: Bool = true) {
            self.role = role
            self.content = content
            self.trained = trained
        }
    }

    public init(parsing value: Value) throws(TrainingRecordError) {
        guard let fields = value.objectValue else {
            throw .shape("a record must be a JSON object with 'messages' or 'prompt' and 'completion', not \(value.typeName == "array" ? "an" : "a") \(value.typeName)")
        }
        if let messages = fields["messages"] {
            if let extra = fields.keys.sorted().first(where: { $0 != "messages" }) {
                throw .shape("unknown key '\(extra)' beside 'messages'")
            }
            guard let items = messages.arrayValue else { throw .shape("'messages' must be a list of {role, content}") }
            var turns: [Turn] = []
            for (position, item) in items.enumerated() {
                turns.append(try Self.turn(item, position: position))
            }
            try Self.checkOrder(turns)
            self = .chat(turns)
        } else if fields["prompt"] != nil || fields["completion"] != nil {
            if let extra = fields.keys.sorted().first(where: { $0 != "prompt" && $0 != "completion" }) {
                throw .shape("unknown key '\(extra)' beside 'prompt' and 'completion'")
            }
            guard let prompt = fields["prompt"]?.stringValue, let completion = fields["completion"]?.stringValue else {
                throw .shape("'prompt' and 'completion' must both be text")
            }
            if prompt.allSatisfy(\.isWhitespace) { throw .emptyTurn("the prompt") }
            if completion.allSatisfy(\.isWhitespace) { throw .emptyTurn("the completion") }
            self = .completion(prompt: prompt, completion: completion)
        } else {
            throw .shape("a record needs 'messages' (chat) or 'prompt' and 'completion'")
        }
    }

    private static func turn(_ item: Value, position: Int) throws(TrainingRecordError) -> Turn {
        guard let fields = item.objectValue else { throw .shape("message \(position + 1) must be an object {role, content}") }
        if let extra = fields.keys.sorted().first(where: { !["role", "content", "weight"].contains($0) }) {
            throw .shape("message \(position + 1) has an unknown key '\(extra)' (allowed: role, content, weight)")
        }
        guard let roleName = fields["role"]?.stringValue, let role = ChatMessage.Role(rawValue: roleName), role != .tool else {
            throw .shape("message \(position + 1) needs a role: system, user or assistant")
        }
        guard let content = fields["content"]?.stringValue else { throw .shape("message \(position + 1) needs text 'content'") }
        if content.allSatisfy(\.isWhitespace) { throw .emptyTurn("message \(position + 1) (\(roleName))") }
        var trained = true
        if let weight = fields["weight"] {
            guard role == .assistant, let number = weight.numberValue, number == 0 || number == 1 else {
                throw .shape("message \(position + 1): 'weight' is 0 or 1, and only on assistant messages")
            }
            trained = number == 1
        }
        return Turn(role, content, trained: trained)
    }

    /// An optional system message, then user and assistant taking turns, ending with an assistant that is learned.
    private static func checkOrder(_ turns: [Turn]) throws(TrainingRecordError) {
        let dialogue = turns.first?.role == .system ? turns.dropFirst() : turns[...]
        guard !dialogue.isEmpty else { throw .order("a conversation needs at least a user and an assistant message") }
        for (offset, turn) in dialogue.enumerated() {
            let expected: ChatMessage.Role = offset % 2 == 0 ? .user : .assistant
            if turn.role != expected {
                let position = offset + (turns.count - dialogue.count) + 1
                throw .order("message \(position) is \(turn.role.rawValue) where \(expected.rawValue) was expected (after an optional system message, user and assistant take turns)")
            }
        }
        guard dialogue.last?.role == .assistant else { throw .order("a conversation must end with an assistant message") }
        guard dialogue.contains(where: { $0.role == .assistant && $0.trained }) else {
            throw .order("every assistant message has weight 0: nothing to learn")
        }
    }

    /// The JSON form, as imported and exported.
    public var value: Value {
        switch self {
        case .chat(let turns):
            return [
                "messages": .array(
                    turns.map { turn in
                        var fields: [String: Value] = ["role": .string(turn.role.rawValue), "content": .string(turn.content)]
                        if turn.role == .assistant, !turn.trained { fields["weight"] = 0 }
                        return .object(fields)
                    })
            ]
        case .completion(let prompt, let completion):
            return ["prompt": .string(prompt), "completion": .string(completion)]
        }
    }

    /// Canonical JSON (sorted keys): equal records give equal text, so its hash finds duplicates.
    public var canonicalJSON: String { JSONWriter.string(value) }

    /// The first user message or the prompt: what annotation reply matches a query against.
    public var question: String {
        switch self {
        case .chat(let turns): return turns.first { $0.role == .user }?.content ?? ""
        case .completion(let prompt, _): return prompt
        }
    }

    /// The last assistant message or the completion: what annotation reply answers with.
    public var answer: String {
        switch self {
        case .chat(let turns): return turns.last { $0.role == .assistant }?.content ?? ""
        case .completion(_, let completion): return completion
        }
    }
}

public enum TrainingRecordError: Error, Sendable, Equatable, CustomStringConvertible {
    case shape(String)
    case emptyTurn(String)
    case order(String)
    case tooLong(tokens: Int, context: Int)

    public var description: String {
        switch self {
        case .shape(let message), .order(let message): return message
        case .emptyTurn(let what): return "\(what) is empty"
        case .tooLong(let tokens, let context): return "the record is \(tokens) tokens, longer than the model's context of \(context)"
        }
    }
}
