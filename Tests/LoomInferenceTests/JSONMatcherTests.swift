import Foundation
import Testing

@testable import LoomInference

@Suite struct JSONMatcherTests {
    static let person = """
        {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 12},
            "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"enum": ["a", "b", 10, 1]}, "maxItems": 3},
            "score": {"type": ["number", "null"]},
            "ok": {"type": "boolean"},
            "extra": {"type": "object", "additionalProperties": true}
        }, "required": ["name", "age", "tags"]}
        """

    private func matcher(_ schema: String) throws -> JSONMatcher {
        JSONMatcher(grammar: try JSONGrammar(try JSONSchema(json: schema)))
    }

    private func accepts(_ schema: String, _ text: String) throws -> (accepted: Bool, complete: Bool) {
        var matcher = try matcher(schema)
        let accepted = matcher.advance(Array(text.utf8))
        return (accepted, accepted && matcher.isComplete)
    }

    @Test(arguments: [
        #"{"name":"Ada","age":36,"tags":[]}"#,
        // Required properties come in the order `required` lists them, then the optional ones by name.
        #"{"name":"A\"d\u00e9","age":-3,"tags":["a",10,1],"extra":{"k":[1,{"x":null}],"z":"s"},"ok":true,"score":null}"#,
        #"{"name":"","age":0,"tags":["b"],"extra":{},"score":-1.5e3}"#,
    ])
    func validDocumentsAreAcceptedWhole(text: String) throws {
        #expect(try accepts(Self.person, text) == (true, true))
    }

    @Test(arguments: [
        #"{"age":1"#,  // a required property skipped
        #"{"name":"x","age":1.5"#,  // not an integer
        #"{"name":"x","age":01"#,  // a leading zero
        #"{"name":"much too long a name""#,  // over maxLength
        #"{"name":"x","age":1,"tags":[2]"#,  // not in the enum
        #"{"name":"x","age":1,"tags":[],"nope":1"#,  // an unknown property
        #"{"name":"x","age":1,"tags":[],"score":1,"ok":true"#,  // out of order
        #"{"name":"x","age":1,"tags":["a","a","a","a"]"#,  // over maxItems
        #"{"name":"x","age":1,"tags":[]} "#,  // anything after the document
        #"{ "name""#,  // whitespace (the output is compact)
    ])
    func invalidTextIsRejectedWhereItGoesWrong(text: String) throws {
        #expect(try accepts(Self.person, text).accepted == false)
    }

    @Test func aPrefixIsNotCompleteUntilTheDocumentIs() throws {
        #expect(try accepts(Self.person, #"{"name":"x","age":1,"tags":[]"#) == (true, false))
        #expect(try accepts(#"{"type": "integer"}"#, "12") == (true, true))
        #expect(try accepts(#"{"enum": [1, 10]}"#, "1") == (true, true))
    }

    /// A byte-level token can end inside a character. Sampling once closed a string right after such a token:
    /// the text was not UTF-8, and the replacement character made the string longer than its `maxLength`.
    @Test func aStringEndsOnlyOnWholeUTF8Characters() throws {
        let schema = #"{"type": "string", "maxLength": 3}"#
        let quote = UInt8(ascii: "\"")
        for (bytes, accepted) in [
            ([quote, 0xC3, quote], false),  // the quote where é's second byte is due
            ([quote, 0xC3, 0xA9, quote], true),
            ([quote, 0xA9], false),  // a continuation byte with no first byte
            ([quote, 0xE0, 0x80], false),  // an overlong form
            ([quote, 0xED, 0xA0], false),  // a surrogate
            ([quote, 0xF0, 0x9F, 0x98, 0x80, quote], true),
            ([quote, 0xC0], false),
        ] as [([UInt8], Bool)] {
            var matcher = try matcher(schema)
            let advanced = matcher.advance(bytes)
            #expect(advanced == accepted, "\(bytes)")
        }
        // Three characters of two, three and four bytes fill maxLength 3; a fourth does not fit.
        var full = try matcher(schema)
        let filled = full.advance([quote, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80])
        let overfilled = full.advance(UInt8(ascii: "a"))
        #expect(filled && !overfilled)
        // The completion of a split character finishes it before the quote.
        var split = try matcher(schema)
        let started = split.advance([quote, 0xF0])
        let completion = split.completion()
        #expect(started && String(validating: [quote, 0xF0] + completion, as: UTF8.self) != nil)
        let finished = split.advance(completion)
        #expect(finished && split.isComplete)
    }

    /// Walks random allowed bytes from the start, then appends the completion: every result must parse and
    /// satisfy the schema, which a separate validator checks.
    @Test func randomPrefixesCompleteToValidDocuments() throws {
        var generator = SplitMix64(seed: 7)
        let alphabet = Array(" !\"#$%&',-.0123456789:[\\]abeflnrstuxyzAE{}".utf8)
        let schema = try JSONSchema(json: Self.person)
        for _ in 0..<300 {
            var matcher = try matcher(Self.person)
            var text: [UInt8] = []
            for _ in 0..<Int(generator.next() % 60) {
                let allowed = alphabet.filter { byte in
                    var copy = matcher
                    return copy.advance(byte)
                }
                guard let byte = allowed.randomElement(using: &generator) else { break }
                _ = matcher.advance(byte)
                text.append(byte)
            }
            let completion = matcher.completion()
            let finished = matcher.advance(completion)
            #expect(finished, "\(String(decoding: text, as: UTF8.self)) + \(String(decoding: completion, as: UTF8.self))")
            #expect(matcher.isComplete)
            let document = String(decoding: text + completion, as: UTF8.self)
            let parsed = try JSONSerialization.jsonObject(with: Data(document.utf8), options: [.fragmentsAllowed])
            #expect(Self.valid(parsed, schema), "\(document)")
        }
    }

    @Test func unsupportedKeywordsAreNamed() {
        #expect(throws: JSONSchemaError.unsupported(keyword: "pattern", path: "#/properties/code")) {
            try JSONSchema(json: #"{"type": "object", "properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}}"#)
        }
        #expect(throws: JSONSchemaError.self) {
            try JSONGrammar(try JSONSchema(json: #"{"anyOf": [{"type": "number"}, {"type": "integer"}]}"#))
        }
        #expect(throws: JSONSchemaError.malformed("#: required property 'b' is not among the properties")) {
            try JSONSchema(json: #"{"type": "object", "properties": {"a": {}}, "required": ["b"]}"#)
        }
    }

    @Test func aChoiceOfKeysTakesExactlyOneAndTheKeyDecidesTheValue() throws {
        let calculator = try JSONSchema(json: #"{"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}"#)
        let schema = JSONSchema.oneOf(keys: [.init(name: "calculator", schema: calculator), .init(name: "answer", schema: .string(maxLength: nil))])
        let accepts = { (text: String) -> (Bool, Bool) in
            var matcher = JSONMatcher(grammar: try JSONGrammar(schema))
            let accepted = matcher.advance(Array(text.utf8))
            return (accepted, accepted && matcher.isComplete)
        }
        #expect(try accepts(#"{"calculator":{"expression":"2*3"}}"#) == (true, true))
        #expect(try accepts(#"{"answer":"six"}"#) == (true, true))
        #expect(try accepts("{}").0 == false)
        #expect(try accepts(#"{"answer":"six","calculator""#).0 == false)
        #expect(try accepts(#"{"answer":{"#).0 == false)
        let empty = JSONMatcher(grammar: try JSONGrammar(schema))
        #expect(String(decoding: empty.completion(), as: UTF8.self) == #"{"answer":""}"#)
    }

    @Test func aKeyThatNeedsEscapesIsMatchedAsJSONWritesIt() throws {
        let schema = #"{"type": "object", "properties": {"say \"hi\"/bye": {"type": "integer"}}, "required": ["say \"hi\"/bye"]}"#
        #expect(try accepts(schema, #"{"say \"hi\"/bye":1}"#) == (true, true))
        let parsed = try JSONSerialization.jsonObject(with: Data(#"{"say \"hi\"/bye":1}"#.utf8)) as? [String: Any]
        #expect(parsed?[#"say "hi"/bye"#] as? Int == 1)
    }

    @Test func referencesToDefinitionsAreFollowed() throws {
        let schema = ##"{"$defs": {"id": {"type": "integer"}}, "type": "object", "properties": {"a": {"$ref": "#/$defs/id"}}, "required": ["a"]}"##
        #expect(try accepts(schema, #"{"a":4}"#) == (true, true))
        #expect(try accepts(schema, #"{"a":"4""#).accepted == false)
    }

    /// An independent check of a parsed document against the schema.
    static func valid(_ value: Any, _ schema: JSONSchema) -> Bool {
        switch schema {
        case .object(let properties, let required):
            guard let fields = value as? [String: Any] else { return false }
            let names = Set(properties.map(\.name))
            guard Set(fields.keys).isSubset(of: names), required.isSubset(of: fields.keys) else { return false }
            return properties.allSatisfy { property in fields[property.name].map { valid($0, property.schema) } ?? true }
        case .array(let items, let minItems, let maxItems):
            guard let list = value as? [Any], list.count >= minItems, list.count <= (maxItems ?? .max) else { return false }
            return list.allSatisfy { valid($0, items) }
        case .string(let maxLength):
            guard let text = value as? String else { return false }
            return text.count <= (maxLength ?? .max)
        case .number: return value is NSNumber && !(value is Bool && "\(value)" == "true")
        case .integer: return (value as? NSNumber).map { $0.doubleValue.rounded() == $0.doubleValue } ?? false
        case .boolean: return value is Bool
        case .null: return value is NSNull
        case .literals(let texts):
            guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else { return false }
            return texts.contains(String(decoding: data, as: UTF8.self))
        case .anyOf(let branches): return branches.contains { valid(value, $0) }
        case .anyValue: return true
        case .anyObject: return value is [String: Any]
        case .oneOf(let keys):
            guard let fields = value as? [String: Any], fields.count == 1, let key = keys.first(where: { fields[$0.name] != nil }) else { return false }
            return valid(fields[key.name]!, key.schema)
        }
    }
}
