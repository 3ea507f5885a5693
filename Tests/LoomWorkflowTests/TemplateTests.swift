import Testing

@testable import LoomWorkflow

@Suite struct TemplateTests {
    let pool = VariablePool(scopes: [
        "inputs": ["name": "Ana & Bo <x>", "count": 3, "items": [["sku": "a1", "qty": 2], ["sku": "b2", "qty": 1]], "empty": []],
        "fetch": ["json": ["user": ["id": 7]], "flag": false],
    ])

    @Test func variablesRenderWithoutHTMLEscaping() throws {
        #expect(try Template("Hi {{ inputs.name }}!").render(pool) == "Hi Ana & Bo <x>!")
        #expect(try Template("Hi {{{inputs.name}}}").render(pool) == "Hi Ana & Bo <x>")
    }

    @Test func difyReferencesAreAccepted() throws {
        let template = try Template("user {{#fetch.json.user.id#}} of {{#inputs.count#}}")
        #expect(template.render(pool) == "user 7 of 3")
        #expect(template.references.map(\.path.description) == ["fetch.json.user.id", "inputs.count"])
    }

    @Test func sectionsLoopAndInvertedSectionsWork() throws {
        let loop = try Template("{{#inputs.items}}{{sku}}×{{qty}};{{/inputs.items}}")
        #expect(loop.render(pool) == "a1×2;b2×1;")
        let inverted = try Template("{{^inputs.empty}}none{{/inputs.empty}}{{^fetch.flag}} off{{/fetch.flag}}")
        #expect(inverted.render(pool) == "none off")
        #expect(try Template("{{#fetch.json.user}}id={{id}}{{/fetch.json.user}}").render(pool) == "id=7")
    }

    @Test func structuredValuesRenderAsJSON() throws {
        #expect(try Template("{{ fetch.json }}").render(pool) == #"{"user":{"id":7}}"#)
        #expect(try Template("n={{ inputs.items.length }}").render(pool) == "n=2")
    }

    @Test func aTemplateOfOneVariableKeepsItsType() throws {
        let template = try Template("{{ inputs.items }}")
        #expect(template.evaluate(pool) == pool.value(at: VariablePath(["inputs", "items"])))
        #expect(try Template(" {{ inputs.count }}\n").evaluate(pool) == 3)
        #expect(try Template("n={{ inputs.count }}").evaluate(pool) == "n=3")
    }

    @Test(arguments: [
        ("{{#a}}x", "never closed"),
        ("{{/a}}", "never opened"),
        ("{{#a}}{{/b}}", "closes section 'a'"),
        ("{{ a.b ", "unclosed tag"),
        ("{{> partial}}", "partials"),
        ("{{=<% %>=}}", "delimiters"),
        ("{{ a b }}", "not a variable name"),
        ("{{}}", "empty tag"),
    ])
    func syntaxErrorsAreReported(source: String, message: String) {
        do {
            _ = try Template(source)
            Issue.record("expected a syntax error for \(source)")
        } catch {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func sectionRelativeNamesAreMarked() throws {
        let template = try Template("{{#inputs.items}}{{ sku }}{{/inputs.items}}")
        #expect(template.references.map(\.inSection) == [false, true])
    }
}

@Suite struct TemplateFastPathTests {
    /// Section-free templates skip Mustache; they must render exactly as Mustache would.
    @Test(arguments: [
        "plain {{ inputs.name }} and {{inputs.count}}", "{{ fetch.json }}", "{{ inputs.items.1.sku }}/{{ inputs.items.length }}",
        "{{ missing.value }}|{{ fetch.flag }}|{{ inputs.ratio }}", "{{#fetch.json.user.id#}}", "{{{ inputs.name }}} {{& inputs.name }}",
    ])
    func rendersAsMustacheDoes(source: String) throws {
        let pool = VariablePool(scopes: [
            "inputs": ["name": "Ana & <b>", "count": 3, "ratio": 0.25, "items": [["sku": "a1"], ["sku": "b2"]]],
            "fetch": ["json": ["user": ["id": 7]], "flag": false],
        ])
        let fast = try Template(source)
        // A section that always renders its body forces the Mustache path for the same text.
        let slow = try Template("{{#inputs}}" + source + "{{/inputs}}")
        #expect(fast.render(pool) == slow.render(pool))
    }
}
