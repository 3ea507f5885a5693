import Foundation

extension Workflow {
    /// Checks inputs against the declarations, converts them to the declared types, and fills defaults.
    public func resolveInputs(_ given: [String: Value]) throws(InputError) -> [String: Value] {
        let declared = Set(inputs.map(\.name))
        for name in given.keys.sorted() where !declared.contains(name) {
            throw InputError.unknown(name, declared: inputs.map(\.name))
        }
        var resolved: [String: Value] = [:]
        for declaration in inputs {
            let value = given[declaration.name].flatMap { $0.isNull ? nil : $0 }
            if let value {
                resolved[declaration.name] = try declaration.coerce(value)
            } else if let defaultValue = declaration.defaultValue {
                resolved[declaration.name] = defaultValue
            } else if declaration.required {
                throw InputError.missing(declaration.name)
            } else {
                resolved[declaration.name] = .null
            }
        }
        return resolved
    }
}

extension InputDeclaration {
    /// Converts a given value to this input's type. Text is read as a number, boolean or JSON where the type
    /// asks for one, so command-line `NAME=VALUE` pairs work for every type.
    public func coerce(_ value: Value) throws(InputError) -> Value {
        let wrong = { (expected: String) in InputError.wrongType(name, expected: expected, got: "\(value.typeName) \(value.text.prefix(40))") }
        switch kind {
        case .text, .paragraph, .select:
            let text: String
            switch value {
            case .string(let string): text = string
            case .int, .double, .bool: text = value.text
            default: throw wrong("text")
            }
            if let maxLength, text.count > maxLength { throw InputError.tooLong(name, maxLength: maxLength, length: text.count) }
            if kind == .select, !options.contains(text) { throw InputError.notAnOption(name, value: text, options: options) }
            return .string(text)
        case .number:
            switch value {
            case .int, .double: return value
            case .string(let text):
                let trimmed = text.trimmingCharacters(in: .whitespaces)
                if let integer = Int(trimmed) { return .int(integer) }
                if let number = Double(trimmed), number.isFinite { return .double(number) }
                throw wrong("a number")
            default: throw wrong("a number")
            }
        case .boolean:
            switch value {
            case .bool: return value
            case .string(let text):
                switch text.lowercased() {
                case "true", "1", "yes": return .bool(true)
                case "false", "0", "no": return .bool(false)
                default: throw wrong("true or false")
                }
            case .int(let number) where number == 0 || number == 1: return .bool(number == 1)
            default: throw wrong("true or false")
            }
        case .json:
            if case .string(let text) = value {
                do {
                    return try JSONDocumentReader.parse(text).value
                } catch {
                    throw InputError.wrongType(name, expected: "JSON", got: "text that is not JSON (\(error.message))")
                }
            }
            return value
        }
    }
}
