import ArgumentParser
import Foundation
import LoomWorkflow

struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "runs", abstract: "List and inspect recorded runs.", subcommands: [List.self, Show.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List runs, newest first.")
        @Option(help: "Only this app's runs.") var app: String?
        @Option(help: "Only runs with this status (running, succeeded, failed, stopped, partial-succeeded).") var status: String?
        @Option(help: "At most this many.") var limit = 20
        @OptionGroup var server: ServerOptions

        func run() async throws {
            var query = URLComponents()
            query.queryItems = [URLQueryItem(name: "limit", value: String(limit))]
            if let app { query.queryItems?.append(URLQueryItem(name: "app", value: app)) }
            if let status { query.queryItems?.append(URLQueryItem(name: "status", value: status)) }
            let answer = try await server.client().send(.GET, "/admin/runs?" + (query.percentEncodedQuery ?? ""))
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { run in
                [run[path: ["id"]]?.text ?? "", run[path: ["workflow_id"]]?.text ?? "", run[path: ["version"]]?.text ?? "",
                 run[path: ["status"]]?.text ?? "", Date(timeIntervalSince1970: run[path: ["created_at"]]?.numberValue ?? 0).formatted(),
                 run[path: ["elapsed_time"]]?.numberValue.map { String(format: "%.3f s", $0) } ?? "", run[path: ["error"]]?.text ?? ""]
            }
            print(TextTable.render(["RUN", "APP", "VERSION", "STATUS", "CREATED", "ELAPSED", "ERROR"], rows))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a run with its node runs.")
        @Argument var id: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let run = try await server.client().send(.GET, "/admin/runs/\(id)")
            guard !server.json else { return print(JSONWriter.string(run, pretty: true)) }
            print("run \(run[path: ["id"]]?.text ?? id): \(run[path: ["workflow_id"]]?.text ?? "") version \(run[path: ["version"]]?.text ?? "")")
            print("status: \(run[path: ["status"]]?.text ?? "")\(run[path: ["error"]]?.isNull == false ? " — \(run[path: ["error"]]!.text)" : "")")
            print("inputs: \(JSONWriter.string(run[path: ["inputs"]] ?? .null))")
            print("outputs: \(JSONWriter.string(run[path: ["outputs"]] ?? .null))")
            let rows = (run[path: ["node_runs"]]?.arrayValue ?? []).map { node in
                [node[path: ["index"]]?.text ?? "", node[path: ["node_id"]]?.text ?? "", node[path: ["node_type"]]?.text ?? "",
                 node[path: ["status"]]?.text ?? "", node[path: ["elapsed_time"]]?.numberValue.map { String(format: "%.1f ms", $0 * 1000) } ?? "",
                 node[path: ["error"]]?.isNull == false ? node[path: ["error"]]!.text : ""]
            }
            print(TextTable.render(["STEP", "NODE", "TYPE", "STATUS", "ELAPSED", "ERROR"], rows))
        }
    }
}
