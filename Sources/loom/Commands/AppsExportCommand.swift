import ArgumentParser
import Foundation
import LoomWorkflow

extension AppsCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write an app's version as a Dify DSL, as its source as written, or as canonical JSON.",
            discussion: """
                --format dify writes a Dify DSL (0.3.0) that Dify imports: nodes laid out left to right, templates as {{#node.var#}}, \
                models and datasets named back through --map. What Dify cannot express is listed on standard error. A version \
                deployed from a Dify DSL is written as it was deployed.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case dify, yaml, json
        }

        @Argument var app: String
        @Option(help: "dify, yaml (the source as deployed) or json (canonical).") var format: Format = .yaml
        @Option(help: "The version (default: the published one, else the draft).") var version: Int?
        @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var out: String?
        @OptionGroup var server: ServerOptions
        @OptionGroup var map: DifyMapOption

        func run() async throws {
            let client = server.client()
            let number: Int
            if let version {
                number = version
            } else {
                let app = try await client.send(.GET, "/admin/apps/\(self.app)")
                guard let chosen = (app[path: ["published_version"]] ?? app[path: ["draft_version"]])?.numberValue.map(Int.init) else {
                    StandardError.line("app '\(self.app)' has no version to export")
                    throw ExitCode(1)
                }
                number = chosen
            }
            let record = try await client.send(.GET, "/admin/apps/\(app)/versions/\(number)")
            let text: String
            switch format {
            case .yaml:
                text = record[path: ["source"]]?.stringValue ?? ""
            case .json:
                text = JSONWriter.string(record[path: ["canonical_json"]] ?? .null) + "\n"
            case .dify:
                text = try dify(record, number: number)
            }
            if let out {
                try Data(text.utf8).write(to: URL(fileURLWithPath: out))
                StandardError.line("wrote \(app) version \(number) to \(out)")
            } else {
                print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            }
        }

        private func dify(_ record: Value, number: Int) throws -> String {
            if record[path: ["format"]] == "dify", let source = record[path: ["source"]]?.stringValue {
                StandardError.line("version \(number) was deployed from a Dify DSL: written as deployed")
                return source
            }
            let mapping: DifyMapping
            let workflow: Workflow
            do {
                mapping = try map.mapping()
                let canonical = JSONWriter.string(record[path: ["canonical_json"]] ?? .null)
                workflow = try WorkflowLoader().load(canonical, file: "\(app)@\(number).json", format: .json)
            } catch {
                for diagnostic in error.diagnostics { StandardError.line(diagnostic.description) }
                throw ExitCode(1)
            }
            let export = DifyExporter(mapping: mapping).export(workflow)
            for note in export.notes {
                StandardError.line("note: " + (note.nodeId.map { "node '\($0)': " } ?? "") + note.message)
            }
            return export.yaml
        }
    }
}
