/// Evaluates arithmetic safely: numbers, + - * / % ^, parentheses, and a fixed set of functions and constants.
/// Nothing else can run.
public struct CalculatorTool: Tool {
    public let name = "calculator"
    public let description = "Evaluates an arithmetic expression such as (2 + 3) * 4 or sqrt(2) / 2."
    public let parameters = [ToolParameter("expression", .string, description: "The expression to evaluate.")]

    public init() {}

    public func call(_ arguments: [String: Value]) async throws -> Value {
        let expression = arguments["expression"]?.text ?? ""
        let result = try ArithmeticExpression.evaluate(expression)
        guard result.isFinite else { throw ToolError.failed("the result of '\(expression)' is not a finite number") }
        if result == result.rounded(), abs(result) < 9e15 { return .int(Int(result)) }
        return .double(result)
    }
}
