import Foundation
import Testing

@testable import LoomWorkflow

@Suite struct CalculatorTests {
    @Test(arguments: [
        ("1 + 2 * 3", 7.0), ("(1 + 2) * 3", 9.0), ("2 ^ 3 ^ 2", 512.0), ("-2 ^ 2", -4.0), ("10 % 4", 2.0),
        ("sqrt(16) + abs(-3)", 7.0), ("max(1, 5, 3) - min(4, 2)", 3.0), ("round(2.456, 2)", 2.46), ("1e3 / 4", 250.0),
        ("floor(2.7) + ceil(2.1)", 5.0), ("log(1000)", 3.0), ("2 * pi", 2 * Double.pi),
    ])
    func evaluatesArithmetic(expression: String, expected: Double) throws {
        #expect(abs(try ArithmeticExpression.evaluate(expression) - expected) < 1e-9)
    }

    @Test(arguments: [
        ("1 / 0", "division by zero"), ("2 +", "ends too early"), ("foo(1)", "unknown function"), ("os", "unknown name"),
        ("(1 + 2", "missing ')'"), ("1 $ 2", "unexpected '$'"), ("sqrt(-1)", "negative"),
    ])
    func rejectsBadExpressionsWithAReason(expression: String, message: String) {
        do {
            _ = try ArithmeticExpression.evaluate(expression)
            Issue.record("expected an error for \(expression)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func refusesHugeOrDeepInput() {
        #expect(throws: ToolError.self) { try ArithmeticExpression.evaluate(String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500)) }
        #expect(throws: ToolError.self) { try ArithmeticExpression.evaluate(String(repeating: "1+", count: 2000) + "1") }
    }

    @Test func calculatorToolReturnsIntegersWhenExact() async throws {
        #expect(try await CalculatorTool().call(["expression": "6 * 7"]) == 42)
        #expect(try await CalculatorTool().call(["expression": "1 / 4"]) == 0.25)
    }

    @Test func currentTimeHonoursZoneAndFormat() async throws {
        let tool = CurrentTimeTool(now: { Date(timeIntervalSince1970: 1_700_000_000) })
        #expect(try await tool.call(["format": "unix"]) == 1_700_000_000)
        #expect(try await tool.call([:]) == "2023-11-14T22:13:20Z")
        #expect(try await tool.call(["timezone": "Asia/Tokyo", "format": "yyyy-MM-dd HH:mm"]) == "2023-11-15 07:13")
        await #expect(throws: ToolError.self) { try await tool.call(["timezone": "Mars/Olympus"]) }
    }
}
