import Testing

@testable import LoomWorkflow

@Suite struct ConditionTests {
    private func holds(_ actual: Value, _ op: String, _ expected: Value? = nil) throws -> Bool {
        try Condition.compare(actual, ConditionOperator(name: op)!, expected, variable: VariablePath(["x", "y"]))
    }

    @Test func stringOperators() throws {
        #expect(try holds("I want a refund", "contains", "refund"))
        #expect(try holds("I want a refund", "not contains", "money"))
        #expect(try holds("refund please", "start with", "refund"))
        #expect(try holds("refund please", "ends_with", "please"))
        #expect(try holds("a", "is", "a"))
        #expect(try !holds("a", "is not", "a"))
        #expect(try holds("", "empty"))
        #expect(try holds("x", "not empty"))
        #expect(try holds(nil, "empty"))
        #expect(try holds("b", "in", ["a", "b"]))
        #expect(try holds("c", "not in", "a, b"))
    }

    @Test func arrayOperators() throws {
        #expect(try holds(["a", "b", "c"], "contains", "b"))
        #expect(try holds(["a", "b", "c"], "all of", ["a", "c"]))
        #expect(try !holds(["a"], "all of", ["a", "c"]))
        #expect(try holds([], "empty"))
    }

    @Test func numberOperatorsReadNumericText() throws {
        #expect(try holds(3, "=", "3"))
        #expect(try holds("4", "≠", 3))
        #expect(try holds(5, ">", 3))
        #expect(try holds(2.5, "<", 3))
        #expect(try holds(3, "≥", 3))
        #expect(try holds(3, "<=", 3.5))
        #expect(try holds(nil, "null"))
        #expect(try holds(0, "not null"))
        #expect(try holds("file", "exists"))
        #expect(try holds(nil, "not exists"))
    }

    @Test func comparingTextAsANumberIsAClearError() {
        #expect(throws: NodeError.self) { try holds("abc", ">", 3) }
    }

    @Test func everyOperatorHasAName() {
        for op in ConditionOperator.allCases { #expect(ConditionOperator(name: op.rawValue) == op) }
    }
}
