import ArgumentParser
import Foundation
import LoomConnectors
import Logging
import LoomWorkflow

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a workflow locally (no database) and print its outputs as JSON.")

    @Argument(help: "The workflow file.")
    var file: String

    @Option(name: .customLong("input"), help: "An input as NAME=VALUE (repeatable); converted to the declared type.")
    var inputs: [String] = []

    @Option(name: .customLong("inputs-json"), help: "All inputs as one JSON object; --input values override it.")
    var inputsJSON: String?

    @OptionGroup var models: ModelsOption

    @Flag(help: "Write every run event to stderr as a JSON line.")
    var events = false

    @Option(help: "The user the run is for (sys.user).")
    var user = "cli"

    func run() async throws {
        CommandLogging.bootstrap()
        let catalog: ModelCatalog
        let workflow: Workflow
        do {
            catalog = try models.catalog()
            workflow = try WorkflowFile.load(file, loader: WorkflowLoader(modelNames: catalog.names))
        } catch {
            for diagnostic in error.diagnostics { StandardError.line(diagnostic.description) }
            throw ExitCode(1)
        }
        let given = try parseInputs()

        let provider = OpenAICompatibleProvider(catalog: catalog)
        let fetcher = NetworkHTTPFetcher()
        let environment = ProcessInfo.processInfo.environment
        let policy = HTTPPolicy(allowPrivateNetworks: environment["LOOM_HTTP_ALLOW_PRIVATE"] == "1")
        let engine = WorkflowEngine(services: EngineServices(models: provider, http: fetcher, httpPolicy: policy, logger: Logger(label: "loom.run")))
        let context = RunContext(user: user, environment: environment)
        let printEvents = events
        let result: RunResult
        do {
            result = try await engine.run(workflow, inputs: given, context: context) { event in
                if printEvents { StandardError.line(JSONWriter.string(event.envelope)) }
            }
        } catch {
            await provider.shutdown()
            await fetcher.shutdown()
            StandardError.line("\(file): \(error)")
            throw ExitCode(1)
        }
        await provider.shutdown()
        await fetcher.shutdown()
        print(JSONWriter.string(.object(result.outputs)))
        if !result.succeeded {
            StandardError.line("run \(result.status.rawValue): \(result.error ?? "unknown error")")
            throw ExitCode(1)
        }
    }

    private func parseInputs() throws -> [String: Value] {
        var given: [String: Value] = [:]
        if let inputsJSON {
            guard let object = (try? JSONDocumentReader.parse(inputsJSON))?.value.objectValue else {
                StandardError.line("--inputs-json must be a JSON object such as {\"ticket\": \"…\"}")
                throw ExitCode(1)
            }
            given = object
        }
        for pair in inputs {
            guard let equals = pair.firstIndex(of: "=") else {
                StandardError.line("--input takes NAME=VALUE, got '\(pair)'")
                throw ExitCode(1)
            }
            given[String(pair[..<equals])] = .string(String(pair[pair.index(after: equals)...]))
        }
        return given
    }
}
