import ArgumentParser
import Foundation
import LoomWorkflow

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke app keys and dataset keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key for an app, or with --datasets for the knowledge API; it is shown only this once.")
        @Argument(help: "The app the key opens.") var app: String?
        @Flag(help: "A dataset key for /v1/datasets instead (Dify's knowledge API).") var datasets = false
        @Option(help: "A label for the key.") var name = ""
        @OptionGroup var server: ServerOptions

        func validate() throws {
            guard (app == nil) == datasets else { throw ValidationError("name an app, or pass --datasets for a dataset key") }
        }

        func run() async throws {
            let path = app.map { "/admin/apps/\($0)/keys" } ?? "/admin/dataset-keys"
            let answer = try await server.client().send(.POST, path, body: JSONWriter.bytes(["name": .string(name)]))
            guard !server.json else { return print(JSONWriter.string(answer)) }
            print(answer[path: ["key"]]?.text ?? "")
            let scope = app.map { "for \($0)" } ?? "for /v1/datasets"
            FileHandleOutput.note("key \(answer[path: ["id"]]?.text ?? "") \(scope): shown once; callers send it as 'Authorization: Bearer <key>'")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (their prefixes).")
        @Option(help: "Only this app's keys.") var app: String?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/admin/keys" + (app.map { "?app=\($0)" } ?? ""))
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { key in
                [key[path: ["id"]]?.text ?? "", key[path: ["app"]]?.text ?? "", (key[path: ["prefix"]]?.text ?? "") + "…",
                 key[path: ["revoked_at"]]?.isNull == false ? "revoked" : "active", key[path: ["name"]]?.text ?? ""]
            }
            print(TextTable.render(["ID", "APP", "PREFIX", "STATE", "NAME"], rows))
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key; the next request with it is refused.")
        @Argument var id: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            _ = try await server.client().send(.DELETE, "/admin/keys/\(id)")
            print("revoked \(id)")
        }
    }
}

/// Remarks for people that scripts reading stdout should not see.
enum FileHandleOutput {
    static func note(_ text: String) {
        StandardError.line(text)
    }
}
