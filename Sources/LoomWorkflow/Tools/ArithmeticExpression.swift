import Foundation

/// A recursive-descent parser and evaluator for arithmetic, with bounded length and depth.
enum ArithmeticExpression {
    static let maximumLength = 2000
    static let maximumDepth = 64

    static func evaluate(_ text: String) throws(ToolError) -> Double {
        guard text.count <= maximumLength else { throw ToolError.failed("expression longer than \(maximumLength) characters") }
        var parser = Parser(characters: Array(text))
        let value = try parser.expression(depth: 0)
        parser.skipSpaces()
        if parser.index < parser.characters.count {
            throw parser.error("unexpected '\(parser.characters[parser.index])'")
        }
        return value
    }

    private struct Parser {
        let characters: [Character]
        var index = 0

        func error(_ message: String) -> ToolError {
            ToolError.failed("\(message) at position \(index + 1)")
        }

        mutating func skipSpaces() {
            while index < characters.count, characters[index].isWhitespace { index += 1 }
        }

        mutating func consume(_ character: Character) -> Bool {
            skipSpaces()
            guard index < characters.count, characters[index] == character else { return false }
            index += 1
            return true
        }

        // expression := term (('+' | '-') term)*
        mutating func expression(depth: Int) throws(ToolError) -> Double {
            guard depth < ArithmeticExpression.maximumDepth else { throw error("expression nested too deeply") }
            var value = try term(depth: depth)
            while true {
                if consume("+") {
                    value += try term(depth: depth)
                } else if consume("-") {
                    value -= try term(depth: depth)
                } else {
                    return value
                }
            }
        }

        // term := power (('*' | '/' | '%') power)*
        mutating func term(depth: Int) throws(ToolError) -> Double {
            var value = try unary(depth: depth)
            while true {
                if consume("*") {
                    value *= try unary(depth: depth)
                } else if consume("/") {
                    let divisor = try unary(depth: depth)
                    guard divisor != 0 else { throw error("division by zero") }
                    value /= divisor
                } else if consume("%") {
                    let divisor = try unary(depth: depth)
                    guard divisor != 0 else { throw error("modulo by zero") }
                    value = value.truncatingRemainder(dividingBy: divisor)
                } else {
                    return value
                }
            }
        }

        // unary := ('-' | '+') unary | power
        mutating func unary(depth: Int) throws(ToolError) -> Double {
            guard depth < ArithmeticExpression.maximumDepth else { throw error("expression nested too deeply") }
            if consume("-") { return -(try unary(depth: depth + 1)) }
            if consume("+") { return try unary(depth: depth + 1) }
            return try power(depth: depth)
        }

        // power := primary ('^' unary)?   (right-associative, binds tighter than unary minus on its left)
        mutating func power(depth: Int) throws(ToolError) -> Double {
            let base = try primary(depth: depth)
            if consume("^") {
                return pow(base, try unary(depth: depth + 1))
            }
            return base
        }

        mutating func primary(depth: Int) throws(ToolError) -> Double {
            skipSpaces()
            guard index < characters.count else { throw error("expression ends too early") }
            let character = characters[index]
            if consume("(") {
                let value = try expression(depth: depth + 1)
                guard consume(")") else { throw error("missing ')'") }
                return value
            }
            if character.isNumber || character == "." {
                return try number()
            }
            if character.isLetter {
                return try call(depth: depth)
            }
            throw error("unexpected '\(character)'")
        }

        mutating func number() throws(ToolError) -> Double {
            let start = index
            while index < characters.count, characters[index].isNumber || characters[index] == "." { index += 1 }
            if index < characters.count, characters[index] == "e" || characters[index] == "E" {
                var lookahead = index + 1
                if lookahead < characters.count, characters[lookahead] == "+" || characters[lookahead] == "-" { lookahead += 1 }
                if lookahead < characters.count, characters[lookahead].isNumber {
                    index = lookahead
                    while index < characters.count, characters[index].isNumber { index += 1 }
                }
            }
            guard let value = Double(String(characters[start..<index])) else {
                index = start
                throw error("malformed number")
            }
            return value
        }

        mutating func call(depth: Int) throws(ToolError) -> Double {
            let start = index
            while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" { index += 1 }
            let name = String(characters[start..<index]).lowercased()
            switch name {
            case "pi": return Double.pi
            case "e": return M_E
            default: break
            }
            guard consume("(") else {
                index = start
                throw error("unknown name '\(name)'")
            }
            var arguments: [Double] = []
            if !consume(")") {
                repeat {
                    arguments.append(try expression(depth: depth + 1))
                } while consume(",")
                guard consume(")") else { throw error("missing ')' after the arguments of \(name)") }
            }
            func one() throws(ToolError) -> Double {
                guard arguments.count == 1 else { throw error("\(name) takes one argument") }
                return arguments[0]
            }
            switch name {
            case "sqrt":
                let x = try one()
                guard x >= 0 else { throw error("square root of a negative number") }
                return x.squareRoot()
            case "abs": return abs(try one())
            case "round":
                if arguments.count == 2 {
                    let scale = pow(10, arguments[1].rounded())
                    return (arguments[0] * scale).rounded() / scale
                }
                return try one().rounded()
            case "floor": return try one().rounded(.down)
            case "ceil": return try one().rounded(.up)
            case "ln": return log(try one())
            case "log":
                if arguments.count == 2 { return log(arguments[0]) / log(arguments[1]) }
                return log10(try one())
            case "exp": return exp(try one())
            case "sin": return sin(try one())
            case "cos": return cos(try one())
            case "tan": return tan(try one())
            case "pow":
                guard arguments.count == 2 else { throw error("pow takes two arguments") }
                return pow(arguments[0], arguments[1])
            case "min", "max":
                guard !arguments.isEmpty else { throw error("\(name) needs at least one argument") }
                return name == "min" ? arguments.min()! : arguments.max()!
            default:
                throw error("unknown function '\(name)'")
            }
        }
    }
}
