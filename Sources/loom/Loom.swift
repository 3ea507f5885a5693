import ArgumentParser
import Foundation

@main
struct Loom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Loom: LLM workflows defined in YAML, served as REST endpoints.",
        subcommands: [
            ValidateCommand.self, RunCommand.self, ImportCommand.self, ServeCommand.self, MigrateCommand.self, AppsCommand.self, KeysCommand.self, RunsCommand.self,
            CallCommand.self, DatasetsCommand.self, SamplesCommand.self, FinetuneCommand.self, ModelsCommand.self, WorkerCommand.self, GenerateCommand.self, ChatCommand.self, EmbedCommand.self, ToolsCommand.self, MCPCommand.self, BenchCommand.self,
        ])

    /// A child that exits while we write to it (an MCP server, the code sandbox) is an error to report, not a
    /// silent death by SIGPIPE.
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        await main(nil)
    }
}
