import ArgumentParser
import Foundation
import LoomWorkflow

struct SamplesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Review the training records of a samples dataset (`loom datasets create NAME --kind samples` makes one).",
        subcommands: [List.self, Approve.self, Reject.self, Edit.self, Import.self, Export.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List samples, oldest first.")
        @Argument var name: String
        @Option(help: "pending, approved or rejected.") var status: String?
        @Option(help: "The version (default: the latest).") var version: Int?
        @Option(help: "At most this many.") var limit = 100
        @OptionGroup var server: ServerOptions

        func run() async throws {
            var query = "limit=\(limit)"
            if let status { query += "&status=\(status)" }
            if let version { query += "&version=\(version)" }
            let answer = try await server.client().send(.GET, "/admin/datasets/\(name)/samples?\(query)")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { sample in
                let record = (try? TrainingRecord(parsing: sample[path: ["record"]] ?? .null))
                return [
                    sample[path: ["id"]]?.text ?? "", sample[path: ["status"]]?.text ?? "", sample[path: ["label"]]?.text ?? "",
                    Self.clip(record?.question ?? ""), Self.clip(record?.answer ?? ""), Self.source(sample[path: ["source"]]),
                    sample[path: ["hits"]]?.text ?? "0",
                ]
            }
            print(TextTable.render(["ID", "STATUS", "LABEL", "QUESTION", "ANSWER", "SOURCE", "HITS"], rows))
            if answer[path: ["has_more"]] == true { print("… more: raise --limit") }
        }

        static func clip(_ text: String) -> String {
            let line = text.replacingOccurrences(of: "\n", with: " ")
            return line.count > 40 ? String(line.prefix(39)) + "…" : line
        }

        static func source(_ source: Value?) -> String {
            if let app = source?[path: ["app"]]?.text { return "app \(app)" }
            return source?[path: ["file"]]?.text ?? source?[path: ["kind"]]?.text ?? ""
        }
    }

    /// `approve` and `reject`: one version for all the ids.
    static func review(_ name: String, _ ids: [Int64], status: SampleStatus, label: String?, server: ServerOptions) async throws {
        var body: [String: Value] = ["ids": .array(ids.map { .int(Int($0)) }), "status": .string(status.rawValue)]
        if let label { body["label"] = .string(label) }
        let answer = try await server.client().send(.POST, "/admin/datasets/\(name)/samples/review", body: JSONWriter.bytes(.object(body)))
        guard !server.json else { return print(JSONWriter.string(answer)) }
        print("\(status.rawValue) \(ids.count) sample\(ids.count == 1 ? "" : "s") of \(name): version \(answer[path: ["version"]]?.text ?? "?")")
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve samples: fine-tune jobs train on approved samples.")
        @Argument var name: String
        @Argument var ids: [Int64]
        @Option(help: "Label them too.") var label: String?
        @OptionGroup var server: ServerOptions

        func run() async throws { try await SamplesCommand.review(name, ids, status: .approved, label: label, server: server) }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject samples: kept (so the same record is not added again), never trained on.")
        @Argument var name: String
        @Argument var ids: [Int64]
        @Option(help: "Label them too.") var label: String?
        @OptionGroup var server: ServerOptions

        func run() async throws { try await SamplesCommand.review(name, ids, status: .rejected, label: label, server: server) }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Edit a sample's record, status, rating and label in $EDITOR (as JSON); saved as a new version.")
        @Argument var name: String
        @Argument var id: Int64
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let client = server.client()
            let sample = try await client.send(.GET, "/admin/datasets/\(name)/samples/\(id)")
            var fields: [String: Value] = ["record": sample[path: ["record"]] ?? .null, "status": sample[path: ["status"]] ?? "pending"]
            fields["rating"] = sample[path: ["rating"]] ?? .null
            fields["label"] = sample[path: ["label"]] ?? .null
            let before = JSONWriter.string(.object(fields), pretty: true) + "\n"
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-sample-\(id)-\(UUID().uuidString.prefix(8)).json")
            try before.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            while true {
                try Self.openEditor(file.path)
                let after = try String(contentsOf: file, encoding: .utf8)
                guard after != before else { return print("no change to sample \(id)") }
                do {
                    guard let edited = try JSONDocumentReader.parse(after).value.objectValue else { throw AdminClient.Failure(description: "the file must hold a JSON object") }
                    let answer = try await client.send(.PUT, "/admin/datasets/\(name)/samples/\(id)", body: JSONWriter.bytes(.object(edited)))
                    return print("saved sample \(id) of \(name): version \(answer[path: ["version"]]?.text ?? "?")")
                } catch {
                    // Keep the edit: say what is wrong and let the user fix it, or give up with an empty file.
                    FileHandle.standardError.write(Data("not saved: \(error)\nPress Enter to edit again, or Ctrl-C to give up.\n".utf8))
                    guard readLine() != nil else { throw ExitCode.failure }
                }
            }
        }

        static func openEditor(_ path: String) throws {
            let editor = ProcessInfo.processInfo.environment["VISUAL"] ?? ProcessInfo.processInfo.environment["EDITOR"] ?? "vi"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            // The editor may carry arguments ("code --wait"), so the shell splits it; the path is passed apart.
            process.arguments = ["-c", "\(editor) \"$1\"", "editor", path]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw AdminClient.Failure(description: "the editor (\(editor)) exited with status \(process.terminationStatus); nothing was saved") }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import training records from JSON lines ({\"messages\": […]} or {\"prompt\", \"completion\"}); all or none, duplicates skipped.")
        @Argument var name: String
        @Argument var file: String
        @Option(help: "Status of lines that do not carry one: approved (a reviewed file) or pending.") var status = "approved"
        @Option(help: "The new version's message.") var message: String?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("\(file): cannot read it") }
            let base = (file as NSString).lastPathComponent
            var query = "status=\(status)&file=\(base.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? base)"
            if let message { query += "&message=\(message.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? "")" }
            let answer = try await server.client().send(.POST, "/admin/datasets/\(name)/samples?\(query)", body: [UInt8](data), contentType: "application/jsonl")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            print(
                "imported \(answer[path: ["added"]]?.text ?? "0") samples into \(name) (\(answer[path: ["duplicates"]]?.text ?? "0") duplicates skipped): version \(answer[path: ["version"]]?.text ?? "?")")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a version's records as JSON lines, in OpenAI's fine-tuning format.")
        @Argument var name: String
        @Option(help: "The version (default: the latest).") var version: Int?
        @Option(help: "approved (what trains), pending, rejected or all.") var status = "approved"
        @Flag(help: "Keep each record's status, rating and label beside it (what `samples import` reads back).") var withReview = false
        @OptionGroup var server: ServerOptions

        func run() async throws {
            var query = "status=\(status)&review=\(withReview)"
            if let version { query += "&version=\(version)" }
            let text = try await server.client().sendText(.GET, "/admin/datasets/\(name)/samples/export?\(query)")
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}
