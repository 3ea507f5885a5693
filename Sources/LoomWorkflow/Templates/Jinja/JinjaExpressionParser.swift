/// Reads one Jinja2 expression: literals, names, `.attr`, `[index]`, calls of known methods, `|filter(args)`,
/// `is test`, arithmetic, `~`, comparisons, `in`, `not`, `and`, `or`, and `a if b else c`.
struct JinjaExpressionParser {
    private enum Token: Equatable {
        case name(String)
        case string(String)
        case number(Value)
        case symbol(String)
    }

    private let tokens: [Token]
    private var position = 0
    private let line: Int

    static func parse(_ source: String, line: Int) throws(JinjaSyntaxError) -> JinjaExpression {
        var parser = JinjaExpressionParser(tokens: try tokenize(Array(source), line: line), line: line)
        guard !parser.tokens.isEmpty else { throw JinjaSyntaxError(message: "empty expression", line: line) }
        let expression = try parser.conditional()
        if parser.position < parser.tokens.count { throw parser.error("unexpected '\(parser.describe(parser.tokens[parser.position]))'") }
        return expression
    }

    private init(tokens: [Token], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    private func error(_ message: String) -> JinjaSyntaxError { JinjaSyntaxError(message: message, line: line) }

    private func describe(_ token: Token) -> String {
        switch token {
        case .name(let name), .symbol(let name): return name
        case .string(let text): return "'\(text)'"
        case .number(let value): return value.text
        }
    }

    private var peek: Token? { position < tokens.count ? tokens[position] : nil }

    private mutating func take(_ symbol: String) -> Bool {
        if peek == .symbol(symbol) || peek == .name(symbol) {
            position += 1
            return true
        }
        return false
    }

    private mutating func expect(_ symbol: String) throws(JinjaSyntaxError) {
        guard take(symbol) else { throw error("expected '\(symbol)'\(peek.map { " before '\(describe($0))'" } ?? " at the end")") }
    }

    private mutating func conditional() throws(JinjaSyntaxError) -> JinjaExpression {
        let value = try or()
        guard take("if") else { return value }
        let condition = try or()
        let otherwise = take("else") ? try conditional() : nil
        return .conditional(value, condition: condition, otherwise: otherwise)
    }

    private mutating func or() throws(JinjaSyntaxError) -> JinjaExpression {
        var left = try and()
        while take("or") { left = .binary("or", left, try and()) }
        return left
    }

    private mutating func and() throws(JinjaSyntaxError) -> JinjaExpression {
        var left = try not()
        while take("and") { left = .binary("and", left, try not()) }
        return left
    }

    private mutating func not() throws(JinjaSyntaxError) -> JinjaExpression {
        take("not") ? .unary("not", try not()) : try comparison()
    }

    private mutating func comparison() throws(JinjaSyntaxError) -> JinjaExpression {
        var left = try concatenation()
        while true {
            if let token = peek, case .symbol(let op) = token, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                position += 1
                left = .binary(op, left, try concatenation())
            } else if take("in") {
                left = .binary("in", left, try concatenation())
            } else if peek == .name("not"), position + 1 < tokens.count, tokens[position + 1] == .name("in") {
                position += 2
                left = .binary("not in", left, try concatenation())
            } else if take("is") {
                let negated = take("not")
                guard case .name(let test)? = peek else { throw error("expected a test name after 'is'") }
                position += 1
                guard JinjaFilters.tests.contains(test) else { throw error("unknown test '\(test)' (supported: \(JinjaFilters.tests.sorted().joined(separator: ", ")))") }
                left = .test(left, test, negated: negated)
            } else {
                return left
            }
        }
    }

    private mutating func concatenation() throws(JinjaSyntaxError) -> JinjaExpression {
        var left = try additive()
        while take("~") { left = .binary("~", left, try additive()) }
        return left
    }

    private mutating func additive() throws(JinjaSyntaxError) -> JinjaExpression {
        var left = try multiplicative()
        while let token = peek, case .symbol(let op) = token, op == "+" || op == "-" {
            position += 1
            left = .binary(op, left, try multiplicative())
        }
        return left
    }

    private mutating func multiplicative() throws(JinjaSyntaxError) -> JinjaExpression {
        var left = try unary()
        while let token = peek, case .symbol(let op) = token, ["*", "/", "//", "%"].contains(op) {
            position += 1
            left = .binary(op, left, try unary())
        }
        return left
    }

    private mutating func unary() throws(JinjaSyntaxError) -> JinjaExpression {
        if take("-") { return .unary("-", try unary()) }
        if take("+") { return try unary() }
        return try postfix()
    }

    private mutating func postfix() throws(JinjaSyntaxError) -> JinjaExpression {
        var expression = try primary()
        while true {
            if take(".") {
                guard case .name(let name)? = peek else {
                    if case .number(let number)? = peek {
                        position += 1
                        expression = .attribute(expression, number.text)
                        continue
                    }
                    throw error("expected a name after '.'")
                }
                position += 1
                if take("(") {
                    guard JinjaFilters.methods.contains(name) else { throw error("the method '\(name)' is not supported (supported: \(JinjaFilters.methods.sorted().joined(separator: ", ")))") }
                    expression = .method(expression, name, try arguments())
                } else {
                    expression = .attribute(expression, name)
                }
            } else if take("[") {
                let index = try conditional()
                try expect("]")
                expression = .item(expression, index)
            } else if take("|") {
                guard case .name(let name)? = peek else { throw error("expected a filter name after '|'") }
                position += 1
                guard JinjaFilters.filters.contains(name) else { throw error("unknown filter '\(name)' (supported: \(JinjaFilters.filters.sorted().joined(separator: ", ")))") }
                expression = .filter(expression, name, take("(") ? try arguments() : [])
            } else {
                return expression
            }
        }
    }

    /// Call arguments after '(', positional or `name=value`.
    private mutating func arguments() throws(JinjaSyntaxError) -> [JinjaArgumentExpression] {
        var list: [JinjaArgumentExpression] = []
        if take(")") { return list }
        repeat {
            var name: String?
            if case .name(let keyword)? = peek, position + 1 < tokens.count, tokens[position + 1] == .symbol("=") {
                name = keyword
                position += 2
            }
            list.append(JinjaArgumentExpression(name: name, value: try conditional()))
        } while take(",")
        try expect(")")
        return list
    }

    private mutating func primary() throws(JinjaSyntaxError) -> JinjaExpression {
        guard let token = peek else { throw error("the expression ends too early") }
        position += 1
        switch token {
        case .string(let text): return .literal(.string(text))
        case .number(let value): return .literal(value)
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.null)
            default: return .name(name)
            }
        case .symbol("("):
            let inner = try conditional()
            try expect(")")
            return inner
        case .symbol("["):
            var items: [JinjaExpression] = []
            if !take("]") {
                repeat {
                    if peek == .symbol("]") { break }
                    items.append(try conditional())
                } while take(",")
                try expect("]")
            }
            return .list(items)
        case .symbol("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            if !take("}") {
                repeat {
                    if peek == .symbol("}") { break }
                    let key = try conditional()
                    try expect(":")
                    pairs.append((key, try conditional()))
                } while take(",")
                try expect("}")
            }
            return .dictionary(pairs)
        case .symbol(let symbol):
            throw error("unexpected '\(symbol)'")
        }
    }

    private static func tokenize(_ characters: [Character], line: Int) throws(JinjaSyntaxError) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if character.isWhitespace {
                index += 1
            } else if character.isLetter || character == "_" {
                var name = ""
                while index < characters.count, characters[index].isLetter || characters[index].isNumber || characters[index] == "_" {
                    name.append(characters[index])
                    index += 1
                }
                tokens.append(.name(name))
            } else if character.isNumber {
                var digits = ""
                while index < characters.count, characters[index].isNumber || (characters[index] == "." && index + 1 < characters.count && characters[index + 1].isNumber) {
                    digits.append(characters[index])
                    index += 1
                }
                tokens.append(.number(digits.contains(".") ? .double(Double(digits) ?? 0) : .int(Int(digits) ?? 0)))
            } else if character == "'" || character == "\"" {
                var text = ""
                index += 1
                while index < characters.count, characters[index] != character {
                    if characters[index] == "\\", index + 1 < characters.count {
                        index += 1
                        let escaped = characters[index]
                        text.append(["n": "\n", "t": "\t", "r": "\r"][escaped] ?? escaped)
                    } else {
                        text.append(characters[index])
                    }
                    index += 1
                }
                guard index < characters.count else { throw JinjaSyntaxError(message: "unclosed string", line: line) }
                index += 1
                tokens.append(.string(text))
            } else {
                let pair = index + 1 < characters.count ? String([character, characters[index + 1]]) : ""
                if ["==", "!=", "<=", ">=", "//"].contains(pair) {
                    tokens.append(.symbol(pair))
                    index += 2
                } else if "()[]{}.,:|~+-*/%<>=".contains(character) {
                    tokens.append(.symbol(String(character)))
                    index += 1
                } else {
                    throw JinjaSyntaxError(message: "unexpected character '\(character)'", line: line)
                }
            }
        }
        return tokens
    }
}
