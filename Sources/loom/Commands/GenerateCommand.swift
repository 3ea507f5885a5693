import ArgumentParser
import Foundation
import LoomInference
import LoomWorkflow

/// Options shared by `loom generate` and `loom chat`.
struct SamplingOptions: ParsableArguments {
    @Option(help: "The model (from the registry).") var model = "smollm2-135m"
    @Option(name: .customLong("max-tokens"), help: "Tokens to generate at most.") var maxTokens = 128
    @Option(help: "0 is greedy.") var temperature: Float = 0
    @Option(name: .customLong("top-p")) var topP: Float = 0.95
    @Option(name: .customLong("top-k")) var topK = 40
    @Option(help: "Seed for reproducible sampling.") var seed: UInt64?
    @Option(help: "Stop at this text (repeatable).") var stop: [String] = []
    @Option(help: "Compute threads (default: all cores).") var threads: Int?
    @Flag(help: "Print JSON with the token ids and counts.") var json = false
    @Option(name: .customLong("json-schema"), help: "A JSON Schema file: the output is constrained to JSON it accepts.") var jsonSchema: String?

    var sampling: SamplingParameters { SamplingParameters(temperature: temperature, topK: topK, topP: topP, seed: seed) }

    /// The constraint `--json-schema` asks for, or nil; a schema the matcher cannot follow ends the command with
    /// the reason.
    func constraint(_ model: LlamaModel) throws -> OutputConstraint? {
        guard let jsonSchema else { return nil }
        do {
            let grammar = try JSONGrammar(try JSONSchema(json: try WorkflowFile.read(jsonSchema)))
            let minimum = model.constraintVocabulary.minimumTokens(grammar)
            guard maxTokens >= minimum else {
                StandardError.line("\(jsonSchema): --max-tokens \(maxTokens) is below the \(minimum) tokens the schema's shortest output takes")
                throw ExitCode(2)
            }
            return OutputConstraint(grammar: grammar, vocabulary: model.constraintVocabulary)
        } catch let error as JSONSchemaError {
            StandardError.line("\(jsonSchema): \(error)")
            throw ExitCode(2)
        } catch let error as WorkflowLoadError {
            for diagnostic in error.diagnostics { StandardError.line(diagnostic.description) }
            throw ExitCode(2)
        }
    }

    /// Generates from `prompt`, streaming the text to stdout unless JSON is wanted.
    func generate(_ model: LlamaModel, prompt: String) throws {
        let pool = ComputePool(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let generator = TextGenerator(runner: LlamaRunner(model: model, pool: pool))
        let ids = model.encode(prompt)
        let request = GenerationRequest(prompt: ids, maxTokens: maxTokens, sampling: sampling, stop: stop, constraint: try constraint(model))
        let result = generator.generate(request, onText: { text in
            if !json {
                FileHandle.standardOutput.write(Data(text.utf8))
            }
        })
        if json {
            print(JSONWriter.string([
                "text": .string(result.text), "tokens": .array(result.tokens.map(Value.int)), "prompt_tokens": .int(ids.count),
                "completion_tokens": .int(result.tokens.count), "finish_reason": .string(result.finish.rawValue),
            ]))
        } else {
            print("")
        }
    }
}

struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Complete a prompt with a bundled model, in process.")
    @Option(help: "The prompt, as is (no chat template).") var prompt: String
    @OptionGroup var options: SamplingOptions

    func run() async throws {
        try options.generate(try LocalModels.llama(options.model), prompt: prompt)
    }
}

struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chat", abstract: "Answer a message with a bundled model and its chat template.")
    @Option(help: "The user's message.") var message: String
    @Option(help: "A system message (default: the model's own).") var system: String?
    @OptionGroup var options: SamplingOptions

    func run() async throws {
        let model = try LocalModels.llama(options.model)
        var messages = [ChatTemplate.Message(role: "user", content: message)]
        if let system { messages.insert(ChatTemplate.Message(role: "system", content: system), at: 0) }
        try options.generate(model, prompt: model.chatTemplate.render(messages))
    }
}

struct EmbedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "embed", abstract: "Embed texts with a bundled model; prints one vector per line.")
    @Argument(help: "The texts.") var texts: [String]
    @Option(help: "The model (from the registry).") var model = "minilm-l6"
    @Option(help: "Compute threads (default: all cores).") var threads: Int?
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let encoder = try LocalModels.encoder(model, pool: ComputePool(threads: threads ?? ProcessInfo.processInfo.activeProcessorCount))
        let (vectors, tokens) = encoder.embed(texts)
        if json {
            print(JSONWriter.string(.array(zip(vectors, tokens).map { vector, count in
                ["embedding": .array(vector.map { .double(Double($0)) }), "tokens": .int(count)]
            })))
        } else {
            for vector in vectors { print(vector.map { String(format: "%.6f", $0) }.joined(separator: " ")) }
        }
    }
}
