import ArgumentParser
import Foundation
import LoomWorkflow

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Run a published app through the server, as its callers do, and print the answer.")

    @Argument(help: "The app.") var app: String
    @OptionGroup var inputs: InputOptions
    @Option(help: "The message, for chat apps.") var query: String?
    @Option(help: "Continue this conversation (chat apps).") var conversation: String?
    @Option(help: "The caller's user id.") var user = "cli"
    @Flag(help: "Stream: print the answer as it is produced.") var stream = false
    @OptionGroup var server: ServerOptions

    func run() async throws {
        var body: [String: Value] = ["inputs": .object(try inputs.values()), "user": .string(user), "response_mode": stream ? "streaming" : "blocking"]
        if let query { body["query"] = .string(query) }
        if let conversation { body["conversation_id"] = .string(conversation) }
        let client = server.client()
        let path = "/admin/apps/\(app)/call"
        guard stream else {
            let answer = try await client.send(.POST, path, body: JSONWriter.bytes(.object(body)))
            if server.json { return print(JSONWriter.string(answer)) }
            if let text = answer[path: ["answer"]]?.stringValue { return print(text) }
            print(JSONWriter.string(answer[path: ["data", "outputs"]] ?? .null))
            if let error = answer[path: ["data", "error"]], !error.isNull {
                StandardError.line("run \(answer[path: ["data", "status"]]?.text ?? "failed"): \(error.text)")
                throw ExitCode(1)
            }
            return
        }
        var failure: String?
        var printedText = false
        try await client.stream(.POST, path, body: JSONWriter.bytes(.object(body))) { event in
            if server.json {
                print(JSONWriter.string(event))
                return
            }
            switch event[path: ["event"]]?.stringValue {
            case "text_chunk":
                printedText = true
                FileHandle.standardOutput.write(Data((event[path: ["data", "text"]]?.text ?? "").utf8))
            case "message":
                printedText = true
                FileHandle.standardOutput.write(Data((event[path: ["answer"]]?.text ?? "").utf8))
            case "workflow_finished":
                if printedText { print("") } else { print(JSONWriter.string(event[path: ["data", "outputs"]] ?? .null)) }
                if let error = event[path: ["data", "error"]], !error.isNull { failure = error.text }
            case "error":
                failure = event[path: ["message"]]?.text
            default:
                break
            }
        }
        if let failure {
            StandardError.line("run failed: \(failure)")
            throw ExitCode(1)
        }
    }
}
