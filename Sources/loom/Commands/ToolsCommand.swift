import ArgumentParser
import Foundation
import LoomConnectors
import LoomWorkflow

struct ToolsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools", abstract: "List, call and import the tools workflows and agents may use.",
        subcommands: [List.self, Call.self, ImportOpenAPI.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every tool with its input schema.")
        @OptionGroup var tools: ToolsOption
        @Flag(help: "Print JSON: [{name, description, input_schema}].") var json = false

        func run() async throws {
            let registry = try await tools.withRegistry(policy: HTTPPolicy()) { registry, _ in registry }
            if json {
                print(JSONWriter.string(.array(registry.all.map { ["name": .string($0.name), "description": .string($0.description), "input_schema": $0.inputSchema] })))
                return
            }
            let rows = registry.all.map { tool in
                [tool.name, tool.parameters.map { "\($0.name)\($0.required ? "" : "?"): \($0.kind.rawValue)" }.joined(separator: ", "), String(tool.description.prefix(70))]
            }
            print(TextTable.render(["TOOL", "PARAMETERS", "DESCRIPTION"], rows))
        }
    }

    struct Call: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run one tool with JSON arguments and print its result as JSON.")
        @Argument var name: String
        @Option(help: "The arguments as a JSON object.") var args = "{}"
        @OptionGroup var tools: ToolsOption

        func run() async throws {
            let policy = HTTPPolicy(allowPrivateNetworks: ProcessInfo.processInfo.environment["LOOM_HTTP_ALLOW_PRIVATE"] == "1")
            try await tools.withRegistry(policy: policy) { registry, _ in
                guard let tool = registry.tool(named: name) else {
                    StandardError.line("unknown tool '\(name)'; available: \(registry.names.joined(separator: ", "))")
                    throw ExitCode(2)
                }
                do {
                    print(JSONWriter.string(try await tool.call(json: args)))
                } catch {
                    StandardError.line("\(name): \((error as? ToolError)?.description ?? String(describing: error))")
                    throw ExitCode(1)
                }
            }
        }
    }

    struct ImportOpenAPI: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import-openapi", abstract: "Add an OpenAPI 3 document's operations as tools NAME_OPERATION (written to the tools file).")
        @Argument(help: "The provider's name (letters, digits, _).") var name: String
        @Argument(help: "The OpenAPI document (YAML or JSON).") var spec: String
        @Option(name: .customLong("base-url"), help: "The API's base URL, over the document's servers[0].") var baseURL: String?
        @Option(help: "The credential: bearer, header:NAME or query:NAME.") var auth: String?
        @Option(name: .customLong("auth-env"), help: "The environment variable holding the credential.") var authEnv: String?
        @OptionGroup var tools: ToolsOption

        func run() async throws {
            let path = tools.resolvedPath ?? "tools.yaml"
            var file = ToolsFile()
            if FileManager.default.fileExists(atPath: path) {
                do {
                    file = try ToolsFile(text: try WorkflowFile.read(path), file: path)
                } catch {
                    StandardError.line("\(error)")
                    throw ExitCode(2)
                }
            }
            let document: OpenAPIDocument
            do {
                document = try OpenAPIDocument(text: try WorkflowFile.read(spec), file: spec)
            } catch let error as OpenAPIError {
                StandardError.line("\(spec): \(error)")
                throw ExitCode(2)
            }
            guard baseURL != nil || document.baseURL != nil else {
                StandardError.line("\(spec) has no servers[0].url: pass --base-url")
                throw ExitCode(2)
            }
            var provider = ToolsFile.OpenAPIProvider(name: name, spec: Self.relative(spec, to: path), baseURL: baseURL)
            if let auth {
                guard let variable = authEnv else {
                    StandardError.line("--auth needs --auth-env, the variable that holds the credential (it is never written to the file)")
                    throw ExitCode(2)
                }
                let parts = auth.split(separator: ":", maxSplits: 1).map(String.init)
                switch (parts.first, parts.count) {
                case ("bearer", 1): provider.authentication = .bearer(variable: variable)
                case ("header", 2): provider.authentication = .header(name: parts[1], variable: variable)
                case ("query", 2): provider.authentication = .query(name: parts[1], variable: variable)
                default:
                    StandardError.line("--auth must be bearer, header:NAME or query:NAME")
                    throw ExitCode(2)
                }
            }
            file.openAPI.removeAll { $0.name == name }
            file.openAPI.append(provider)
            try Data(file.yaml.utf8).write(to: URL(fileURLWithPath: path))
            print("\(path): \(name) — \(document.title), \(document.operations.count) tools:")
            for operation in document.operations { print("  \(name)_\(operation.name)  \(operation.method) \(operation.path)") }
        }

        /// The document's path as the tools file will read it (relative to the file's directory when under it).
        static func relative(_ spec: String, to file: String) -> String {
            let directory = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path
            let absolute = URL(fileURLWithPath: spec).standardizedFileURL.path
            return absolute.hasPrefix(directory + "/") ? String(absolute.dropFirst(directory.count + 1)) : absolute
        }
    }
}
