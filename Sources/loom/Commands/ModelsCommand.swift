import ArgumentParser
import LoomWorkflow

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "The server's configured models and whether they answer.", subcommands: [List.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List configured models with their health.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/admin/models")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { model in
                [model[path: ["name"]]?.text ?? "", model[path: ["model"]]?.text ?? "", model[path: ["base_url"]]?.text ?? "",
                 model[path: ["reachable"]] == true ? "up" : "down", model[path: ["detail"]]?.text ?? ""]
            }
            print(TextTable.render(["NAME", "MODEL", "BASE URL", "STATE", "DETAIL"], rows))
        }
    }
}
