import Testing

@testable import LoomWorkflow

/// The Jinja2 subset renders as Jinja2 (Python) does: every expected text below is what Jinja2 3.1.6 printed for the
/// same template and variables. What the subset lacks is a load-time error with the line.
@Suite struct JinjaTemplateTests {
    func render(_ source: String, _ variables: [String: Value] = [:]) throws -> String {
        try JinjaTemplate(source).render(variables)
    }

    @Test func variablesAttributesAndItems() throws {
        let variables: [String: Value] = ["user": ["name": "Ana", "tags": ["a", "b"]], "n": 3]
        #expect(try render("Hi {{ user.name }} ({{ user['tags'][1] }}, {{ user.tags.0 }}) x{{ n }}", variables) == "Hi Ana (b, a) x3")
        #expect(try render("[{{ missing }}][{{ user.nothing }}]", variables) == "[][]")
    }

    @Test func filtersRealAppsUse() throws {
        let variables: [String: Value] = ["items": ["x", "y", "z"], "empty": "", "data": ["b": 1, "a": [true, .null]], "price": 3.14159]
        #expect(try render("{{ items | join(', ') }} {{ items | length }} {{ items | first | upper }}", variables) == "x, y, z 3 X")
        #expect(try render("{{ missing | default('none') }}|{{ empty | default('blank', true) }}|{{ empty | default('kept') }}", variables) == "none|blank|")
        #expect(try render("{{ data | tojson }}", variables) == #"{"a": [true, null], "b": 1}"#)
        #expect(try render("{{ d | tojson }}", ["d": ["t": "<a href='x'>&é中😀", "f": 1.0, "g": 2.5]]) == #"{"f": 1.0, "g": 2.5, "t": "\u003ca href=\u0027x\u0027\u003e\u0026\u00e9\u4e2d\ud83d\ude00"}"#)
        #expect(try render("{{ price | round(2) }} {{ '  pad ' | trim }} {{ 'a-b' | replace('-', '+') }}", variables) == "3.14 pad a+b")
        #expect(try render("{{ items | reverse | join }}{{ [3, 1, 2] | sort | join(',') }}", variables) == "zyx1,2,3")
        // Keyword arguments bind by name, as in Python.
        let people: [String: Value] = ["people": [["name": "bo", "age": 30], ["name": "ana", "age": 25]]]
        #expect(try render("{{ [3, 1, 2] | sort(reverse=true) | join(',') }} {{ [3, 1, 2] | sort(true) | join(d='-') }}") == "3,2,1 3-2-1")
        #expect(try render("{{ people | sort(attribute='age') | map(attribute='name') | join(', ') }}", people) == "ana, bo")
        #expect(try render("{{ people | map(attribute='title') | join }}{{ ['a', 'b'] | map('upper') | join }}", people) == "AB")
        #expect(try render("{{ missing | default(default_value='x') }} {{ people | join(', ', attribute='name') }}", people) == "x bo, ana")
    }

    @Test func forLoopsWithLoopVariablesElseAndUnpacking() throws {
        let template = "{% for item in items %}{{ loop.index }}.{{ item }}{% if not loop.last %}, {% endif %}{% else %}none{% endfor %}"
        #expect(try render(template, ["items": ["a", "b"]]) == "1.a, 2.b")
        #expect(try render(template, ["items": []]) == "none")
        #expect(try render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", ["d": ["y": 2, "x": 1]]) == "x=1;y=2;")
    }

    @Test func conditionsWithComparisonsAndTests() throws {
        let template = "{% if score >= 90 %}A{% elif score > 50 and passed %}B{% else %}C{% endif %}"
        #expect(try render(template, ["score": 95]) == "A")
        #expect(try render(template, ["score": 60, "passed": true]) == "B")
        #expect(try render(template, ["score": 60, "passed": false]) == "C")
        #expect(try render("{% if x is defined %}d{% endif %}{% if 'b' in list %}in{% endif %}{% if 4 is even %}e{% endif %}", ["list": ["a", "b"]]) == "ine")
        #expect(try render("{{ 'yes' if flag else 'no' }}", ["flag": true]) == "yes")
    }

    @Test func printsValuesAsPythonDoes() throws {
        #expect(try render("{{ a }} {{ b }} {{ c }} {{ d }} {{ e }}", ["a": 2.0, "b": true, "c": .null, "d": ["x", 1], "e": ["k": "v"]]) == "2.0 True None ['x', 1] {'k': 'v'}")
        #expect(try render("{{ 7 // 2 }} {{ 7 / 2 }} {{ 7 % 3 }} {{ 'a' ~ 1 }} {{ 1 + 2 * 3 }}") == "3 3.5 1 a1 7")
    }

    @Test func setWhitespaceControlAndComments() throws {
        #expect(try render("{% set x = 'v' %}{{ x }}{# hidden #}") == "v")
        #expect(try render("a  {%- if true -%}  b  {%- endif -%}  c") == "abc")
        #expect(try render("line\n{% if true %}\nkept\n{% endif %}\n") == "line\n\nkept\n")
        #expect(try render("a\n\n") == "a\n")
    }

    @Test func unsupportedConstructsAreErrorsWithTheirLine() {
        #expect(throws: JinjaSyntaxError(message: "the 'macro' statement is not supported (supported: if, for, set)", line: 2)) {
            try JinjaTemplate("ok\n{% macro m() %}{% endmacro %}")
        }
        #expect(throws: JinjaSyntaxError.self) { try JinjaTemplate("{{ x | frobnicate }}") }
        #expect(throws: JinjaSyntaxError(message: "missing 'else' or 'endfor'", line: 1)) { try JinjaTemplate("{% for x in y %}{{ x }}") }
        #expect(throws: JinjaSyntaxError.self) { try JinjaTemplate("{{ x ") }
        #expect(throws: JinjaSyntaxError(message: "'endif' without an opening block", line: 1)) { try JinjaTemplate("{% endif %}") }
    }

    @Test func aTemplateNodeRendersJinjaOverItsNamedVariables() async throws {
        let workflow = try load(
            """
            app: t
            inputs: {names: json}
            nodes:
              - id: list
                type: template
                syntax: jinja2
                variables: {people: inputs.names}
                template: "{% for p in people %}{{ p | upper }}{{ ',' if not loop.last }}{% endfor %}"
            """)
        let run = try await record(workflow, inputs: ["names": ["ana", "bo"]])
        #expect(run.finished("list").first?.outputs == ["output": "ANA,BO"])
    }
}
