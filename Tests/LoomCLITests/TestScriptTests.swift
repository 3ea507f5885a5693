import Foundation
import LoomTestSupport
import Testing

/// deploy/test, the command CI runs, runs the suites that serve the bundled models apart from the rest: a new such
/// suite missing from its list would run beside the timing-sensitive tests and make them flaky.
@Suite struct TestScriptTests {
    @Test func everySuiteThatServesTheBundledModelsRunsInItsOwnPart() throws {
        let script = try String(contentsOf: LoomProcess.root.appendingPathComponent("deploy/test"), encoding: .utf8)
        let served = try #require(script.split(separator: "\n").first { $0.hasPrefix("served=") }.map(String.init))
        let folder = LoomProcess.root.appendingPathComponent("Tests/LoomServerTests")
        var suites: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            guard ["TestWorker.with", "DatasetAPITests.withServer", "DatasetImporterTests.withEmbedder"].contains(where: text.contains) else { continue }
            for line in text.split(separator: "\n") where line.contains("@Suite") {
                if let range = line.range(of: "struct ") { suites.append(String(line[range.upperBound...].prefix { $0.isLetter || $0.isNumber })) }
            }
        }
        #expect(suites.count >= 10, "\(suites)")
        for suite in suites { #expect(served.contains("|\(suite)|") || served.contains("(\(suite)|") || served.contains("|\(suite))"), "\(suite) is missing from \(served)") }
    }
}
