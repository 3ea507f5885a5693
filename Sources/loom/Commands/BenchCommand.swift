import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Loom next to a reference in the same run (use a release build).",
        subcommands: [EngineBenchCommand.self, FinetuneBenchCommand.self, HTTPBenchCommand.self, InferenceBenchCommand.self, RetrievalBenchCommand.self])
}
