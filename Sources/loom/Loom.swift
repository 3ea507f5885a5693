import ArgumentParser

@main
struct Loom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Loom: LLM workflows defined in YAML, served as REST endpoints.",
        subcommands: [
            ValidateCommand.self, RunCommand.self, ImportCommand.self, ServeCommand.self, MigrateCommand.self, AppsCommand.self, KeysCommand.self, RunsCommand.self,
            CallCommand.self, DatasetsCommand.self, SamplesCommand.self, FinetuneCommand.self, ModelsCommand.self, WorkerCommand.self, GenerateCommand.self, ChatCommand.self, EmbedCommand.self, ToolsCommand.self, MCPCommand.self, BenchCommand.self,
        ])
}
