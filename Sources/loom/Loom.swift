import ArgumentParser

@main
struct Loom: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Loom: LLM workflows defined in YAML, run by a fast engine.",
        subcommands: [ValidateCommand.self, RunCommand.self, BenchCommand.self])
}
