import ArgumentParser
import Foundation
import LoomWorkflow

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Turn other platforms' app files into Loom workflows.", subcommands: [Dify.self])

    struct Dify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the Loom YAML of Dify DSL files (or folders of them) and summarise what was mapped.")

        @Argument(help: "Dify DSL files, or folders searched for .yml, .yaml and .json files.") var paths: [String]
        @Option(help: "Write one Loom YAML file per app here (default: only the summary).") var out: String?
        @OptionGroup var map: DifyMapOption
        @OptionGroup var models: ModelsOption
        @OptionGroup var tools: ToolsOption

        func run() async throws {
            var loader = try map.checkingLoader(models: models)
            // The tools' names and parameters, to check the Loom YAML written; none is called.
            loader.tools = try await tools.withRegistry(policy: HTTPPolicy()) { registry, _ in registry }
            let importer = DifyImporter(mapping: loader.difyMapping, modelNames: loader.modelNames)
            if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
            var summary = DifyImportSummary()
            var written = Set<String>()
            for file in Self.files(in: paths) {
                do {
                    let imported = try importer.importDocument(try WorkflowFile.read(file), file: file)
                    // What the user gets must load as Loom's own format.
                    let yaml = imported.yaml
                    let workflow = try loader.load(yaml, file: file + " (as Loom YAML)", format: .yaml)
                    summary.add(imported.report)
                    var line = "\(file): \(workflow.app), \(imported.report.mapped.values.reduce(0, +)) nodes mapped"
                    if !imported.report.unmapped.isEmpty { line += ", \(imported.report.unmapped.count) not" }
                    if let out {
                        var name = workflow.app
                        var suffix = 2
                        while written.contains(name) {
                            name = "\(workflow.app)-\(suffix)"
                            suffix += 1
                        }
                        written.insert(name)
                        let target = (out as NSString).appendingPathComponent(name + ".yaml")
                        try Data(yaml.utf8).write(to: URL(fileURLWithPath: target))
                        line += " → \(target)"
                    }
                    print(line)
                } catch let error as WorkflowLoadError {
                    summary.failed(error.diagnostics.first?.message ?? "\(error)")
                    print("\(file): not imported")
                    for diagnostic in error.diagnostics.prefix(5) { print("  \(diagnostic)") }
                }
            }
            print("")
            print(summary.text)
            if summary.loaded == 0 { throw ExitCode(1) }
        }

        static func files(in paths: [String]) -> [String] {
            var files: [String] = []
            for path in paths {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                    files.append(path)
                    continue
                }
                let found = (FileManager.default.subpaths(atPath: path) ?? []).filter { name in
                    ["yml", "yaml", "json"].contains((name as NSString).pathExtension.lowercased())
                }
                files += found.sorted().map { (path as NSString).appendingPathComponent($0) }
            }
            return files
        }
    }
}

/// Counts over many imports: files loaded and failed, nodes mapped per Dify type, unmapped nodes per reason.
struct DifyImportSummary {
    private(set) var loaded = 0
    private var failures: [String: Int] = [:]
    private var mapped: [String: Int] = [:]
    private var unmapped: [String: Int] = [:]

    mutating func add(_ report: DifyImportReport) {
        loaded += 1
        for (type, count) in report.mapped { mapped[type, default: 0] += count }
        for node in report.unmapped { unmapped["\(node.difyType): \(node.reason)", default: 0] += 1 }
    }

    mutating func failed(_ reason: String) {
        failures[reason, default: 0] += 1
    }

    var text: String {
        let list = { (counts: [String: Int]) in
            counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "  \($0.value) × \($0.key)" }.joined(separator: "\n")
        }
        var lines = ["files: \(loaded) loaded, \(failures.values.reduce(0, +)) not"]
        if !failures.isEmpty { lines += ["not loaded, by reason:", list(failures)] }
        lines += ["nodes mapped, by Dify type (\(mapped.values.reduce(0, +))):", list(mapped)]
        lines += ["nodes not mapped, by reason (\(unmapped.values.reduce(0, +))):", unmapped.isEmpty ? "  none" : list(unmapped)]
        return lines.joined(separator: "\n")
    }
}
