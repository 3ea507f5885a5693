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

    @Test func aConditionOnItemsNeedsOneItemToPassOrEveryItemForNegativeOperators() throws {
        let pool = VariablePool(scopes: [
            "sys": ["files": [["type": "image", "size": 10], ["type": "document", "size": 0]], "none": []],
        ])
        func holds(_ list: String, _ key: String, _ op: String, _ value: Value? = nil) throws -> Bool {
            try Condition.items(
                variable: VariablePath(["sys", list]), key: [key], op: ConditionOperator(name: op)!, value: value.map(ValueTemplate.literal)
            ).evaluate(pool)
        }
        #expect(try holds("files", "type", "in", ["image"]))
        #expect(try !holds("files", "type", "is", "audio"))
        #expect(try holds("files", "size", ">", 5))
        #expect(try !holds("files", "type", "not in", ["image"]))
        #expect(try holds("files", "type", "not in", ["audio", "video"]))
        #expect(try !holds("none", "type", "in", ["image"]))
        #expect(try holds("none", "type", "not in", ["image"]))
        #expect(throws: NodeError.self) {
            try Condition.items(variable: VariablePath(["sys", "files", "0", "type"]), key: ["x"], op: .is, value: nil).evaluate(pool)
        }
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
