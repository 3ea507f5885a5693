import Foundation
import LoomWorkflow
import Testing

@testable import LoomSandbox

/// The sandbox really runs code, and really stops what code must not do, without harming the test process.
@Suite struct SandboxedCodeRunnerTests {
    static func runner(_ change: (inout SandboxedCodeRunner.Configuration) -> Void = { _ in }) -> SandboxedCodeRunner {
        var configuration = SandboxedCodeRunner.Configuration.from(environment: [:])
        configuration.limits.wallTime = .seconds(5)
        configuration.limits.cpuSeconds = 2
        configuration.limits.memoryMegabytes = 256
        change(&configuration)
        return SandboxedCodeRunner(configuration: configuration)
    }

    /// Runs Python under the test limits; `patient` waits a minute of wall clock, so that only the limit under test
    /// (CPU time, cancellation) can stop the program, however loaded the machine is.
    static func python(_ code: String, _ inputs: [String: Value] = [:], patient: Bool = false) async -> Result<Value, CodeRunError> {
        let runner = runner { if patient { $0.limits.wallTime = .seconds(60) } }
        do {
            return .success(try await runner.run(CodeProgram(language: .python3, code: code, inputs: inputs)))
        } catch {
            return .failure(error)
        }
    }

    @Test func pythonMainGetsItsInputsAndItsPrintsStayOutOfTheResult() async throws {
        let result = await Self.python(
            """
            def main(name: str, count: int) -> dict:
                print("debugging output")
                return {"greeting": "hello " + name, "double": count * 2, "items": [1, 2.5, None, True]}
            """, ["name": "Ana", "count": 21])
        #expect(try result.get() == ["greeting": "hello Ana", "double": 42, "items": [1, 2.5, .null, true]])
    }

    @Test func theSandboxIsAvailableHere() async {
        guard case .success(.bubblewrap) = await Self.runner().sandbox() else {
            Issue.record("bubblewrap should be usable on the test machine (deploy/install-system-packages installs it)")
            return
        }
    }

    @Test func aNetworkCallFails() async {
        let result = await Self.python(
            """
            import socket
            def main() -> dict:
                socket.create_connection(("1.1.1.1", 80), timeout=2)
                return {"reached": True}
            """)
        guard case .failure(.failed(let message)) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(message.contains("Network is unreachable") || message.contains("OSError"))
    }

    @Test func anInfiniteLoopIsStoppedByTheCPULimit() async {
        let result = await Self.python("def main():\n    while True:\n        pass\n", patient: true)
        #expect(result.failureValue == .cpuLimit(seconds: 2))
    }

    @Test func aSleepingProgramIsStoppedAtTheWallClockLimit() async {
        let result = await Self.python("import time\ndef main():\n    time.sleep(60)\n    return {}\n")
        #expect(result.failureValue == .timedOut(seconds: 5))
    }

    @Test func aForkBombIsContained() async throws {
        let result = await Self.python(
            """
            import os
            def main():
                children = 0
                while True:
                    if os.fork() == 0:
                        while True:
                            pass
                    children += 1
            """)
        // Forks beyond the process limit fail inside the sandbox (the children spin until the sandbox goes).
        #expect(result.failureValue.map { "\($0)".contains("Resource temporarily unavailable") } == true, "\(result)")
        let after = await Self.python("def main():\n    return {'ok': 1}\n")
        #expect(try after.get() == ["ok": 1])
    }

    @Test func aTenGigabyteAllocationIsRefused() async {
        let result = await Self.python("def main():\n    block = bytearray(10 * 1024 ** 3)\n    return {'size': len(block)}\n")
        #expect(result.failureValue == .memoryLimit(megabytes: 256))
    }

    @Test func writingOutsideTheTemporaryDirectoryFailsAndInsideWorks() async throws {
        let outside = await Self.python("def main():\n    open('/usr/loom-was-here', 'w').write('x')\n    return {}\n")
        #expect(outside.failureValue.map { "\($0)".contains("Read-only file system") } == true)
        let home = await Self.python("def main():\n    open('/root-owned', 'w').write('x')\n    return {}\n")
        #expect(home.failureValue != nil)
        #expect(!FileManager.default.fileExists(atPath: "/usr/loom-was-here"))
        let inside = await Self.python("def main():\n    open('/tmp/note', 'w').write('kept')\n    return {'read': open('/tmp/note').read()}\n")
        #expect(try inside.get() == ["read": "kept"])
    }

    @Test func theHostsFilesAreNotVisible() async {
        let result = await Self.python("import os\ndef main():\n    return {'root': sorted(os.listdir('/'))}\n")
        #expect((try? result.get())?.objectValue?["root"]?.arrayValue?.contains("home") == false)
        #expect((try? result.get())?.objectValue?["root"]?.arrayValue?.contains("etc") == true)
    }

    @Test func floodingStdoutIsStopped() async {
        let runner = Self.runner { $0.limits.outputBytes = 64 * 1024 }
        do {
            _ = try await runner.run(CodeProgram(language: .python3, code: "import sys\ndef main():\n    return {'x': 'y' * 10_000_000}\n", inputs: [:]))
            Issue.record("expected the output limit")
        } catch {
            #expect(error == .outputTooLarge(limit: 64 * 1024))
        }
    }

    @Test func anExceptionIsReportedWithItsMessage() async {
        let result = await Self.python("def main(x):\n    return {'y': 1 / x}\n", ["x": 0])
        #expect(result.failureValue.map { "\($0)".contains("ZeroDivisionError") } == true)
    }

    @Test func aResultThatIsNotJSONIsAClearError() async {
        let result = await Self.python("def main():\n    return {'s': {1, 2}}\n")
        #expect(result.failureValue.map { "\($0)".contains("not JSON") } == true)
    }

    @Test func withoutASandboxCodeIsRefusedWithTheReason() async {
        let runner = Self.runner { $0.bubblewrap = "/nonexistent/bwrap" }
        do {
            _ = try await runner.run(CodeProgram(language: .python3, code: "def main():\n    return {}\n", inputs: [:]))
            Issue.record("expected a refusal")
        } catch {
            guard case .unavailable(let message) = error else {
                Issue.record("expected .unavailable, got \(error)")
                return
            }
            #expect(message.contains("/nonexistent/bwrap is not installed"))
            #expect(message.contains("LOOM_CODE_UNSANDBOXED=1"))
        }
    }

    @Test func aSandboxThatCannotStartForProgramsIsRefusedWithTheReason() async {
        // The probe runs as programs do; a "bubblewrap" that fails there means no sandbox, whatever root could do.
        let runner = Self.runner { $0.bubblewrap = "/usr/bin/false" }
        guard case .failure(.unavailable(let message)) = await runner.sandbox() else {
            Issue.record("expected the sandbox to be refused")
            return
        }
        #expect(message.hasPrefix("code cannot run: the sandbox cannot be created (bubblewrap: "))
    }

    @Test func anOperatorMayAllowUnsandboxedCode() async throws {
        let runner = Self.runner {
            $0.bubblewrap = "/nonexistent/bwrap"
            $0.allowUnsandboxed = true
        }
        let result = try await runner.run(CodeProgram(language: .python3, code: "def main(a):\n    return {'b': a + 1}\n", inputs: ["a": 1]))
        #expect(result == ["b": 2])
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/node")))
    func javascriptMainGetsAnObjectOfInputs() async throws {
        let result = try await Self.runner().run(
            CodeProgram(
                language: .javascript, code: "function main({a, b}) { console.log('ignored'); return {sum: a + b, text: `${a}-${b}`} }",
                inputs: ["a": 2, "b": 3]))
        #expect(result == ["sum": 5, "text": "2-3"])
    }

    static let sleeper = "import time\ndef main():\n    time.sleep(60)\n    return {}\n"

    @Test func cancellingDuringSandboxSetUpLeavesNothingBehind() async {
        // Before the fix, a sandbox caught in its set-up kept the run waiting for the program's full minute.
        for delay in [0, 1, 2, 5, 10, 20, 40] {
            let task = Task { await Self.python(Self.sleeper, patient: true) }
            try? await Task.sleep(for: .milliseconds(delay))
            task.cancel()
            let cancelled = ContinuousClock.now
            #expect(await task.value.failureValue == .stopped)
            #expect(ContinuousClock.now - cancelled < .seconds(20), "after \(delay) ms")
        }
    }

    @Test func aFirstRunStoppedWhileTheSandboxIsProbedDoesNotDisableCode() async throws {
        let runner = Self.runner()
        let program = CodeProgram(language: .python3, code: "def main():\n    return {'ok': 1}\n", inputs: [:])
        let first = Task { try await runner.run(program) }
        first.cancel()
        _ = await first.result
        #expect(try await runner.run(program) == ["ok": 1])
    }

    @Test func cancellingTheTaskStopsTheProgram() async {
        let task = Task { await Self.python(Self.sleeper, patient: true) }
        try? await Task.sleep(for: .milliseconds(300))
        task.cancel()
        let cancelled = ContinuousClock.now
        #expect(await task.value.failureValue == .stopped)
        #expect(ContinuousClock.now - cancelled < .seconds(20))
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
