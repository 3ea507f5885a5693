import Testing

@testable import LoomWorkflow

@Suite struct DocumentReaderTests {
    @Test func jsonValuesKeepTheirLineAndColumn() throws {
        let node = try JSONDocumentReader.parse("{\n  \"a\": [1, 2.5, \"x\\u00e9\"],\n  \"b\": {\"c\": null}\n}")
        guard case .mapping(let entries) = node.kind else { Issue.record("not a mapping"); return }
        #expect(entries.map(\.key) == ["a", "b"])
        #expect(entries[0].keyLocation == SourceLocation(line: 2, column: 3))
        #expect(entries[1].value.location == SourceLocation(line: 3, column: 8))
        #expect(node.value == ["a": [1, 2.5, "xé"], "b": ["c": nil]])
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "expected a quoted key"),
        ("{\"a\" 1}", 1, 6, "expected ':'"),
        ("{\n  \"a\": tru\n}", 2, 8, "expected a value"),
        ("[1, 2", 1, 6, "unexpected end of input"),
        ("{\"a\": \"unterminated\n}", 1, 20, "unterminated string"),
        ("{\"a\": 01}", 1, 7, "leading zeros"),
        ("{} x", 1, 4, "after the end"),
    ])
    func malformedJSONIsReportedWhereItBreaks(text: String, line: Int, column: Int, message: String) {
        #expect(throws: DocumentSyntaxError.self) { try JSONDocumentReader.parse(text) }
        do {
            _ = try JSONDocumentReader.parse(text)
        } catch {
            #expect(error.location == SourceLocation(line: line, column: column), "\(error.message)")
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func deeplyNestedJSONIsRefusedNotCrashed() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: DocumentSyntaxError.self) { try JSONDocumentReader.parse(text) }
    }

    @Test func yamlScalarsFollowTheCoreSchema() throws {
        let node = try YAMLDocumentReader.parse("a: yes\nb: true\nc: 12\nd: 1.5\ne: null\nf: '12'\ng: 2024-01-01\n")
        #expect(node.value == ["a": "yes", "b": true, "c": 12, "d": 1.5, "e": nil, "f": "12", "g": "2024-01-01"])
    }

    @Test func malformedYAMLIsReportedWithLineAndColumn() {
        do {
            _ = try YAMLDocumentReader.parse("app: x\nnodes:\n  - id: a\n   type: template\n")
            Issue.record("expected a syntax error")
        } catch {
            #expect(error.location.line == 4)
            #expect(!error.message.isEmpty)
        }
    }

    @Test func duplicateYAMLKeysAreAnError() {
        do {
            _ = try YAMLDocumentReader.parse("app: x\napp: y\n")
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("duplicate key 'app'"))
        }
    }
}
