import LoomInference
import LoomWorkflow

/// What `/v1/chat/completions` and `/v1/completions` bodies share: the model, how to sample, when to stop, whether
/// to stream. Fields Loom does not know are ignored, as OpenAI-compatible servers do; known fields with a wrong
/// type or range are refused with the field's name.
struct CompletionParameters {
    var model: String
    var maxTokens: Int
    var sampling: SamplingParameters
    var stop: [String]
    var stream: Bool
    var includeUsage: Bool
    /// `response_format`: JSON to constrain the output to (nil: free text).
    var schema: JSONSchema?

    /// OpenAI's default when a request names no limit would be the whole context; a bounded default keeps one
    /// forgetful caller from holding a batch slot for minutes.
    static let defaultMaxTokens = 512

    init(_ body: [String: Value]) throws(OpenAIError) {
        let fields = BodyFields(body)
        model = try fields.string("model")
        let limit = try fields.int("max_completion_tokens", in: 1...1_000_000)
        let legacyLimit = try fields.int("max_tokens", in: 1...1_000_000)
        maxTokens = limit ?? legacyLimit ?? Self.defaultMaxTokens
        let temperature = try fields.number("temperature", in: 0...2) ?? 1
        let topP = try fields.number("top_p", in: 0...1) ?? 1
        guard topP > 0 else { throw .invalid("'top_p' must be greater than 0", param: "top_p") }
        let topK = try fields.int("top_k", in: -1...1_000_000) ?? 0
        let penalty = try fields.number("repetition_penalty", in: 0.01...10) ?? 1
        let seed = try fields.int("seed", in: Int.min...Int.max)
        sampling = SamplingParameters(
            temperature: Float(temperature), topK: max(0, topK), topP: Float(topP), repetitionPenalty: Float(penalty), seed: seed.map { UInt64(bitPattern: Int64($0)) })
        for name in ["presence_penalty", "frequency_penalty"] {
            if let value = try fields.number(name, in: -2...2), value != 0 {
                throw .invalid("'\(name)' is not supported by this worker; use 'repetition_penalty'", param: name)
            }
        }
        if let n = try fields.int("n", in: 1...128), n != 1 { throw .invalid("'n' must be 1: this worker returns one choice per request", param: "n") }
        switch body["stop"] {
        case nil, .null?: stop = []
        case .string(let text)?: stop = [text]
        case .array(let items)?:
            stop = try items.map { item throws(OpenAIError) in
                guard let text = item.stringValue else { throw .invalid("'stop' must be a string or an array of strings", param: "stop") }
                return text
            }
            guard stop.count <= 4 else { throw .invalid("'stop' takes at most 4 sequences", param: "stop") }
        default: throw .invalid("'stop' must be a string or an array of strings", param: "stop")
        }
        stop = stop.filter { !$0.isEmpty }
        stream = try fields.bool("stream") ?? false
        includeUsage = try BodyFields(body["stream_options"]?.objectValue ?? [:]).bool("include_usage") ?? false
        schema = try Self.responseFormat(body["response_format"])
    }

    /// OpenAI's `{type: "text" | "json_object" | "json_schema", json_schema: {name, schema, strict}}`.
    static func responseFormat(_ value: Value?) throws(OpenAIError) -> JSONSchema? {
        guard let value, !value.isNull else { return nil }
        guard let fields = value.objectValue, let type = fields["type"]?.stringValue else {
            throw .invalid("'response_format' must be {\"type\": \"text\" | \"json_object\" | \"json_schema\", …}", param: "response_format")
        }
        switch type {
        case "text": return nil
        case "json_object": return .anyObject
        case "json_schema":
            guard let schema = fields["json_schema"]?.objectValue?["schema"] else {
                throw .invalid("'response_format.json_schema.schema' is required for type json_schema", param: "response_format")
            }
            do {
                return try JSONSchema(json: JSONWriter.string(schema))
            } catch {
                throw .invalid("response_format: \(error)", param: "response_format")
            }
        default:
            throw .invalid("unknown response_format type '\(type)'; use text, json_object or json_schema", param: "response_format")
        }
    }

    func request(prompt: [Int]) -> GenerationRequest {
        GenerationRequest(prompt: prompt, maxTokens: maxTokens, sampling: sampling, stop: stop)
    }
}

/// Typed reads of a JSON body's fields, each failing with the field's name.
struct BodyFields {
    let body: [String: Value]

    init(_ body: [String: Value]) {
        self.body = body
    }

    func string(_ name: String) throws(OpenAIError) -> String {
        guard let value = body[name], !value.isNull else { throw .invalid("'\(name)' is required", param: name) }
        guard let text = value.stringValue else { throw .invalid("'\(name)' must be a string", param: name) }
        return text
    }

    func number(_ name: String, in range: ClosedRange<Double>) throws(OpenAIError) -> Double? {
        guard let value = body[name], !value.isNull else { return nil }
        guard case .some(let number) = Self.number(value), range.contains(number) else {
            throw .invalid("'\(name)' must be a number from \(range.lowerBound) to \(range.upperBound)", param: name)
        }
        return number
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(OpenAIError) -> Int? {
        guard let value = body[name], !value.isNull else { return nil }
        guard case .some(let number) = Self.number(value), number.rounded() == number, let integer = Int(exactly: number), range.contains(integer) else {
            throw .invalid("'\(name)' must be an integer from \(range.lowerBound) to \(range.upperBound)", param: name)
        }
        return integer
    }

    func bool(_ name: String) throws(OpenAIError) -> Bool? {
        guard let value = body[name], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw .invalid("'\(name)' must be true or false", param: name) }
        return flag
    }

    private static func number(_ value: Value) -> Double? {
        switch value {
        case .int(let integer): Double(integer)
        case .double(let number): number
        default: nil
        }
    }
}
