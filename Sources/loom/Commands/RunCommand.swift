import ArgumentParser
import Foundation
import LoomConnectors
import LoomKnowledge
import LoomSandbox
import Logging
import LoomWorkflow

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a workflow locally (no database) and print its outputs as JSON.")

    @Argument(help: "The workflow file.")
    var file: String

    @OptionGroup var inputs: InputOptions

    @OptionGroup var models: ModelsOption

    @OptionGroup var map: DifyMapOption
    @OptionGroup var tools: ToolsOption

    @Flag(help: "Write every run event to stderr as a JSON line.")
    var events = false

    @Option(help: "The user the run is for (sys.user).")
    var user = "cli"

    @Option(help: "The message, for chat workflows (sys.query).")
    var query: String?

    @Option(name: .customLong("file"), help: "A file by URL for sys.files, as TYPE=URL (image, document, audio, video or custom); repeatable.")
    var files: [String] = []

    func run() async throws {
        CommandLogging.bootstrap()
        let givenFiles = try givenFiles()
        let environment = ProcessInfo.processInfo.environment
        let policy = HTTPPolicy(allowPrivateNetworks: environment["LOOM_HTTP_ALLOW_PRIVATE"] == "1")
        try await tools.withRegistry(policy: policy) { registry, fetcher in
            let catalog: ModelCatalog
            let workflow: Workflow
            do {
                catalog = try models.catalog()
                var loader = WorkflowLoader(tools: registry, modelNames: catalog.names)
                loader.difyMapping = try map.mapping()
                workflow = try WorkflowFile.load(file, loader: loader)
            } catch let error as WorkflowLoadError {
                for diagnostic in error.diagnostics { StandardError.line(diagnostic.description) }
                throw ExitCode(1)
            }
            let given: [String: Value]
            do {
                given = try inputs.values()
            } catch {
                StandardError.line("\(error)")
                throw ExitCode(1)
            }

            let provider = OpenAICompatibleProvider(catalog: catalog)
            let engine = WorkflowEngine(services: EngineServices(
                    models: provider, http: fetcher, code: SandboxedCodeRunner(configuration: .from(environment: environment)), documents: DocumentText(),
                    tools: registry, httpPolicy: policy,
                    logger: Logger(label: "loom.run")))
            // A local run of a chat app is the first turn of a conversation of its own.
            let context = RunContext(user: user, query: query, dialogueCount: query == nil ? nil : 1, files: givenFiles, environment: environment)
            let printEvents = events
            let result: RunResult
            do {
                result = try await engine.run(workflow, inputs: given, context: context) { event in
                    if printEvents { StandardError.line(JSONWriter.string(event.envelope)) }
                }
            } catch {
                await provider.shutdown()
                StandardError.line("\(file): \(error)")
                throw ExitCode(1)
            }
            await provider.shutdown()
            print(JSONWriter.string(.object(result.outputs)))
            if !result.succeeded {
                StandardError.line("run \(result.status.rawValue): \(result.error ?? "unknown error")")
                throw ExitCode(1)
            }
        }
    }

    private func givenFiles() throws -> [Value] {
        try files.map { given in
            let parts = given.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else {
                StandardError.line("--file \(given): give TYPE=URL, such as document=https://example.com/guide.pdf")
                throw ExitCode(1)
            }
            do {
                return try GivenFiles.file(type: parts[0], url: parts[1])
            } catch {
                StandardError.line("--file \(given): \(error)")
                throw ExitCode(1)
            }
        }
    }
}
