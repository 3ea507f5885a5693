/// Each Loom node type as a Dify node's `data`.
extension DifyExportSession {
    typealias ExportedNode = (type: String, data: [String: Value], inner: ExportedGraph?)

    /// The node's Dify type and data; a node Dify has no equivalent of becomes a placeholder (reported).
    func exportNode(_ spec: NodeSpec) -> ExportedNode {
        let id = spec.id
        switch spec.behavior {
        case is StartNode:
            return ("start", ["variables": .array(startVariables())], nil)
        case let end as EndNode:
            let outputs: [Value] = end.outputs.map { output in
                let selector: Value
                switch output.value {
                case .template(let template): selector = selectorValue(template, node: id, field: "outputs.\(output.name)")
                default:
                    note(id, "output '\(output.name)' is a fixed value; Dify's end node outputs variables: left empty")
                    selector = []
                }
                return ["variable": .string(output.name), "value_selector": selector]
            }
            return ("end", ["outputs": .array(outputs)], nil)
        case let answer as AnswerNode:
            return ("answer", ["answer": .string(text(answer.template, node: id)), "variables": []], nil)
        case let llm as LLMNode:
            return ("llm", llmData(llm, node: id), nil)
        case let retrieval as KnowledgeRetrievalNode:
            return ("knowledge-retrieval", retrievalData(retrieval, node: id), nil)
        case let branch as IfElseNode:
            let cases: [Value] = branch.cases.map { item in
                let (logical, conditions) = self.conditions(item.condition, node: id)
                return ["case_id": .string(item.id), "id": .string(item.id), "logical_operator": .string(logical), "conditions": .array(conditions)]
            }
            return ("if-else", ["cases": .array(cases)], nil)
        case let classifier as QuestionClassifierNode:
            var data = questionData(classifier.question, node: id)
            data["query_variable_selector"] = selectorValue(classifier.question.query, node: id, field: "query")
            data["classes"] = .array(classifier.classes.map { ["id": .string($0.id), "name": .string($0.name)] })
            return ("question-classifier", data, nil)
        case let extractor as ParameterExtractorNode:
            var data = questionData(extractor.question, node: id)
            data["query"] = selectorValue(extractor.question.query, node: id, field: "query")
            data["reasoning_mode"] = "prompt"
            data["parameters"] = .array(extractor.parameters.map { parameter in
                [
                    "name": .string(parameter.name), "type": .string(parameter.kind.rawValue), "description": .string(parameter.description),
                    "required": .bool(parameter.required),
                ]
            })
            return ("parameter-extractor", data, nil)
        case let template as TemplateNode:
            return ("template-transform", templateData(template, node: id), nil)
        case let aggregator as VariableAggregatorNode:
            let lists = aggregator.groups.map { group in Value.array(group.variables.map(selectorValue)) }
            var data: [String: Value] = ["output_type": "any", "variables": lists.first ?? []]
            if groupedAggregators.contains(id) {
                data["advanced_settings"] = [
                    "group_enabled": true,
                    "groups": .array(zip(aggregator.groups, lists).map { group, variables in
                        ["group_name": .string(group.name), "groupId": .string(group.name), "output_type": "any", "variables": variables]
                    }),
                ]
            }
            return ("variable-aggregator", data, nil)
        case let http as HTTPRequestNode:
            return ("http-request", httpData(http, node: id), nil)
        case let tool as ToolNode:
            return toolData(tool, spec: spec)
        case let code as CodeNode:
            return ("code", codeData(language: code.language.rawValue, code: code.code, inputs: code.inputs, outputs: code.outputs.map { ($0.name, $0.type.rawValue) }, node: id), nil)
        case let iteration as IterationNode:
            let inner = exportGraph(iteration.inner.graph, container: Container(id: id, isLoop: false))
            let data: [String: Value] = [
                "iterator_selector": selectorValue(iteration.items), "output_selector": selectorValue(iteration.output), "output_type": "array[string]",
                "is_parallel": .bool(iteration.parallel > 1), "parallel_nums": .int(iteration.parallel),
                "error_handle_mode": .string(iteration.errorMode.rawValue), "flatten_output": .bool(iteration.flatten),
                "start_node_id": .string(difyId(id) + "start"),
            ]
            return ("iteration", data, inner)
        case let loop as LoopNode:
            let inner = exportGraph(loop.inner.graph, container: Container(id: id, isLoop: true))
            let (logical, conditions) = loop.breakWhen.map { self.conditions($0, node: id) } ?? ("and", [])
            let variables: [Value] = loop.variables.map { variable in
                var fields: [String: Value] = ["label": .string(variable.name), "var_type": .string(variable.type.rawValue)]
                if case .template(let template) = variable.initial, let path = template.singleReference {
                    fields["value_type"] = "variable"
                    fields["value"] = selectorValue(path)
                } else {
                    fields["value_type"] = "constant"
                    fields["value"] = literalValue(variable.initial, node: id)
                }
                return .object(fields)
            }
            let data: [String: Value] = [
                "loop_count": .int(loop.maxRounds), "logical_operator": .string(logical), "break_conditions": .array(conditions),
                "loop_variables": .array(variables), "start_node_id": .string(difyId(id) + "start"),
            ]
            return ("loop", data, inner)
        case is LoopBreakNode:
            return ("loop-end", [:], nil)
        case let assigner as AssignerNode:
            let items: [Value] = assigner.items.map { item in
                var fields: [String: Value] = ["variable_selector": selectorValue(item.variable), "operation": .string(item.operation.rawValue)]
                switch item.value {
                case .template(let template)? where template.singleReference != nil:
                    fields["input_type"] = "variable"
                    fields["value"] = selectorValue(template.singleReference!)
                case let value?:
                    fields["input_type"] = "constant"
                    fields["value"] = ValueType.number.coerce(literalValue(value, node: id))
                case nil:
                    fields["input_type"] = "constant"
                    fields["value"] = .null
                }
                return .object(fields)
            }
            return ("assigner", ["version": "2", "items": .array(items)], nil)
        case let extractor as DocumentExtractorNode:
            return ("document-extractor", ["variable_selector": selectorValue(extractor.file), "is_array_file": false], nil)
        case let list as ListOperatorNode:
            return ("list-operator", listData(list, node: id), nil)
        case let agent as AgentNode:
            return agentData(agent, spec: spec)
        case let unsupported as UnsupportedNode:
            return placeholder(spec, why: "was Dify's \(unsupported.difyType), which Loom did not map on import (\(unsupported.reason))")
        default:
            return placeholder(spec, why: "is a Loom \(spec.type) node, which Dify has no equivalent of")
        }
    }

    /// A code node that stands where Dify has no equivalent, so the graph stays whole: it returns its outputs
    /// empty (None), and its first lines say what stood there.
    private func placeholder(_ spec: NodeSpec, why: String) -> ExportedNode {
        note(spec.id, "\(why): exported as a placeholder code node whose outputs are empty")
        let outputs = spec.behavior.outputNames ?? []
        let code = "# Node '\(spec.id)' \(why).\n# This placeholder keeps the graph whole; its outputs are empty.\n"
            + "def main() -> dict:\n    return {\(outputs.map { "\(JSONWriter.string(.string($0))): None" }.joined(separator: ", "))}\n"
        return ("code", codeData(language: "python3", code: code, inputs: [], outputs: outputs.map { ($0, "string") }, node: spec.id), nil)
    }

    /// The Dify type a node exports as, for edge data.
    func difyType(of spec: NodeSpec) -> String {
        switch spec.behavior {
        case is TemplateNode: return "template-transform"
        case is LoopBreakNode: return "loop-end"
        case let tool as ToolNode: return DifyBuiltInTool.dify(for: tool.tool.name) == nil ? "code" : "tool"
        case let agent as AgentNode: return agent.tools.allSatisfy { DifyBuiltInTool.dify(for: $0.name) != nil } ? "agent" : "code"
        default: return spec.type
        }
    }

    /// `retry_config`, `error_strategy` and `default_value`.
    func policy(of spec: NodeSpec) -> [String: Value] {
        var data: [String: Value] = [:]
        if let retry = spec.policy.retry {
            data["retry_config"] = [
                "retry_enabled": true, "max_retries": .int(retry.maxRetries),
                "retry_interval": .int(Int(retry.interval.components.seconds * 1000 + retry.interval.components.attoseconds / 1_000_000_000_000_000)),
            ]
        }
        switch spec.policy.onError {
        case .fail: break
        case .branch: data["error_strategy"] = "fail-branch"
        case .defaultValue(let defaults):
            data["error_strategy"] = "default-value"
            data["default_value"] = .array(defaults.keys.sorted().map { key in
                let value = literalValue(defaults[key]!, node: spec.id)
                let type: String =
                    switch value {
                    case .int, .double: "number"
                    case .bool: "boolean"
                    case .object: "object"
                    case .array: "array[string]"
                    default: "string"
                    }
                // Dify keeps object and list defaults as JSON text.
                let stored: Value = type == "object" || type.hasPrefix("array") ? .string(JSONWriter.string(value)) : value
                return ["key": .string(key), "type": .string(type), "value": stored]
            })
        }
        if spec.policy.timeout != nil { note(spec.id, "timeout_s has no Dify equivalent for this node; dropped") }
        return data
    }

    // MARK: Model nodes

    /// Dify's `model` for a Loom model name: the mapping's `provider/name` that maps to it, or an OpenAI-compatible
    /// provider of that name.
    func model(_ settings: ModelSettings, node: String, mode: String = "chat") -> Value {
        var provider = "langgenius/openai_api_compatible/openai_api_compatible"
        var name = settings.model
        if let key = mapping.models.filter({ $0.value == settings.model }).keys.sorted().first(where: { $0.contains("/") }) {
            let parts = key.split(separator: "/")
            provider = parts.dropLast().joined(separator: "/")
            name = String(parts.last ?? "")
        } else {
            note(node, "model '\(settings.model)' is not in the mapping: exported as an OpenAI-compatible model of that name")
        }
        var parameters: [String: Value] = [:]
        if let temperature = settings.temperature { parameters["temperature"] = .double(temperature) }
        if let topP = settings.topP { parameters["top_p"] = .double(topP) }
        if let maxTokens = settings.maxTokens { parameters["max_tokens"] = .int(maxTokens) }
        if let seed = settings.seed { parameters["seed"] = .int(seed) }
        if let penalty = settings.repetitionPenalty { parameters["repetition_penalty"] = .double(penalty) }
        if !settings.stop.isEmpty { parameters["stop"] = .array(settings.stop.map(Value.string)) }
        return ["provider": .string(provider), "name": .string(name), "mode": .string(mode), "completion_params": .object(parameters)]
    }

    /// Dify's agent node (the `function_calling` strategy of its agent plugin) over the same model and tools, when
    /// every tool is one Dify has built in.
    private func agentData(_ agent: AgentNode, spec: NodeSpec) -> ExportedNode {
        let node = spec.id
        var tools: [Value] = []
        for tool in agent.tools {
            guard let dify = DifyBuiltInTool.dify(for: tool.name) else {
                return placeholder(spec, why: "is an agent with the tool '\(tool.name)', which Dify has no built-in equivalent of")
            }
            tools.append([
                "enabled": true, "type": "builtin", "provider_name": .string(dify.provider), "tool_name": .string(dify.name),
                "tool_label": .string(dify.label), "parameters": [:], "settings": [:], "extra": ["description": ""],
            ])
        }
        let chosen = model(agent.settings, node: node)
        let selector: Value = [
            "provider": chosen[path: ["provider"]] ?? "", "model": chosen[path: ["name"]] ?? "", "model_type": "llm", "mode": "chat",
            "completion_params": chosen[path: ["completion_params"]] ?? [:], "type": "model-selector",
        ]
        var parameters: [String: Value] = [
            "model": ["type": "constant", "value": selector], "query": ["type": "constant", "value": .string(text(agent.query, node: node))],
            "tools": ["type": "constant", "value": .array(tools)], "maximum_iterations": ["type": "constant", "value": .int(agent.maxIterations)],
        ]
        if let instructions = agent.instructions { parameters["instruction"] = ["type": "constant", "value": .string(text(instructions, node: node))] }
        if agent.requiresTools { note(node, "tool_choice required has no Dify form: the model chooses when to call tools") }
        var data: [String: Value] = [
            "agent_strategy_provider_name": "langgenius/agent/agent", "agent_strategy_name": "function_calling",
            "agent_strategy_label": "FunctionCalling", "agent_parameters": .object(parameters),
        ]
        if agent.memoryTurns > 0 { data["memory"] = ["window": ["enabled": true, "size": .int(agent.memoryTurns)]] }
        return ("agent", data, nil)
    }

    private func llmData(_ llm: LLMNode, node: String) -> [String: Value] {
        var messages = llm.messages
        var data: [String: Value] = ["model": model(llm.settings, node: node), "context": ["enabled": false, "variable_selector": []], "vision": ["enabled": false]]
        if llm.memoryTurns > 0 {
            // Dify puts the history before the user's message, which its memory settings hold.
            var query = "{{#sys.query#}}"
            if let last = messages.last, last.role == .user {
                query = text(last.template, node: node)
                messages.removeLast()
            }
            data["memory"] = ["window": ["enabled": true, "size": .int(llm.memoryTurns)], "query_prompt_template": .string(query), "role_prefix": ["user": "", "assistant": ""]]
        }
        if let schema = llm.outputSchema {
            data["structured_output_enabled"] = true
            data["structured_output"] = ["schema": schema]
        }
        data["prompt_template"] = .array(messages.enumerated().map { index, message in
            ["id": .string("\(node)-\(index)"), "role": .string(message.role.rawValue), "text": .string(text(message.template, node: node))]
        })
        return data
    }

    private func questionData(_ question: ModelQuestion, node: String) -> [String: Value] {
        var data: [String: Value] = ["model": model(question.settings, node: node), "vision": ["enabled": false]]
        if let instruction = question.instruction { data["instruction"] = .string(text(instruction, node: node)) }
        return data
    }

    private func retrievalData(_ retrieval: KnowledgeRetrievalNode, node: String) -> [String: Value] {
        let ids: [Value] = retrieval.datasets.map { dataset in
            if dataset.version != nil { note(node, "dataset \(dataset) is pinned to a version; Dify datasets have none: the latest is searched") }
            let id = mapping.datasets.filter { $0.value == dataset.name }.keys.sorted().first ?? dataset.name
            return .string(id)
        }
        if !retrieval.filters.isEmpty { note(node, "metadata filters are not carried over") }
        let weight: Double =
            switch retrieval.mode {
            case .semantic: 1
            case .fulltext: 0
            case .hybrid: 0.5
            }
        var config: [String: Value] = [
            "top_k": .int(retrieval.topK), "reranking_enable": false, "reranking_mode": "weighted_score",
            "weights": ["vector_setting": ["vector_weight": .double(weight)], "keyword_setting": ["keyword_weight": .double(1 - weight)]],
        ]
        if let threshold = retrieval.scoreThreshold {
            config["score_threshold"] = .double(threshold)
            config["score_threshold_enabled"] = true
        }
        return [
            "query_variable_selector": selectorValue(retrieval.query, node: node, field: "query"), "dataset_ids": .array(ids),
            "retrieval_mode": "multiple", "multiple_retrieval_config": .object(config),
        ]
    }

    // MARK: Other nodes

    private func templateData(_ node: TemplateNode, node id: String) -> [String: Value] {
        switch node.body {
        case .jinja(let template, let variables):
            return [
                "template": .string(template.source),
                "variables": .array(variables.map { ["variable": .string($0.name), "value_selector": selectorValue($0.path)] }),
            ]
        case .mustache(let template):
            let translation = jinja(fromMustache: template.source)
            return [
                "template": .string(translation.template),
                "variables": .array(translation.variables.map { ["variable": .string($0.name), "value_selector": selectorValue($0.path)] }),
            ]
        }
    }

    private func httpData(_ http: HTTPRequestNode, node: String) -> [String: Value] {
        let lines = { (pairs: [(String, Template)]) in pairs.map { "\($0.0):\(self.text($0.1, node: node))" }.joined(separator: "\n") }
        let body: Value
        switch http.body {
        case nil:
            body = ["type": "none", "data": []]
        case .json(let value)?:
            body = ["type": "json", "data": [["type": "text", "key": "", "value": .string(text(value, node: node))]]]
        case .form(let fields)?:
            body = ["type": "x-www-form-urlencoded", "data": .array(fields.map { ["type": "text", "key": .string($0.0), "value": .string(text($0.1, node: node))] })]
        case .raw(let template, _)?:
            body = ["type": "raw-text", "data": [["type": "text", "key": "", "value": .string(text(template, node: node))]]]
        }
        return [
            "method": .string(http.method.lowercased()), "url": .string(text(http.url, node: node)), "authorization": ["type": "no-auth", "config": .null],
            "headers": .string(lines(http.headers)), "params": .string(lines(http.query)), "body": body,
            "timeout": ["max_connect_timeout": 0, "max_read_timeout": 0, "max_write_timeout": 0], "ssl_verify": true,
        ]
    }

    /// A tool node as Dify's tool node when Dify has the tool built in, the calculator as a Python program, any
    /// other tool as a placeholder.
    private func toolData(_ tool: ToolNode, spec: NodeSpec) -> ExportedNode {
        let node = spec.id
        if tool.tool.name == "calculator" { return calculatorData(tool, node: node) }
        guard let dify = DifyBuiltInTool.dify(for: tool.tool.name) else {
            return placeholder(spec, why: "calls the tool '\(tool.tool.name)', which Dify has no built-in equivalent of")
        }
        var parameters: [String: Value] = [:]
        for (name, value) in tool.arguments {
            var argument = text(value, node: node)
            switch (tool.tool.name, name) {
            case ("current_time", "format"):
                guard let format = DifyTimeFormat.strftime(fromLoom: argument) else {
                    note(node, "time format '\(argument)' has no strftime form: Dify's default is used")
                    continue
                }
                argument = format
            case ("web_page", "max_chars"):
                note(node, "Dify's web scraper takes no max_chars: the page is read whole")
                continue
            default:
                break
            }
            parameters[name] = ["type": "mixed", "value": .string(argument)]
        }
        return ("tool", [
            "provider_id": .string(dify.provider), "provider_name": .string(dify.provider), "provider_type": "builtin",
            "tool_name": .string(dify.name), "tool_label": .string(dify.label), "tool_parameters": .object(parameters), "tool_configurations": [:],
        ], nil)
    }

    private func calculatorData(_ tool: ToolNode, node: String) -> ExportedNode {
        // Dify has no calculator: the same arithmetic as a code node (Python's ast, numbers and operators only). The
        // expression's variables are the program's arguments, put into its text as Loom's template would.
        var variables: [Value] = []
        var markers: [String] = []
        var expression = tool.arguments["expression"] ?? .literal(.string(""))
        if case .template(let template) = expression, template.source.contains("{{#"), template.references.contains(where: \.inSection) || template.source.contains("{{/") {
            // Sections: a template-transform before the program renders the expression.
            let translation = jinja(fromMustache: template.source)
            preludes[node] = [
                "template": .string(translation.template),
                "variables": .array(translation.variables.map { ["variable": .string($0.name), "value_selector": selectorValue($0.path)] }),
            ]
            expression = .template((try? Template("{{ \(node)__expression.output }}")) ?? template)
        }
        if case .template(let template) = expression {
            for reference in template.references where !reference.inSection {
                let marker = "{{#" + selector(reference.path).joined(separator: ".") + "#}}"
                if markers.contains(marker) { continue }
                markers.append(marker)
                variables.append(["variable": .string("v\(variables.count)"), "value_selector": selectorValue(reference.path)])
            }
        }
        let names = markers.enumerated().map { "\"v\($0.offset)\": \(JSONWriter.string(.string($0.element)))" }.joined(separator: ", ")
        let code = "EXPRESSION = \(JSONWriter.string(.string(text(expression, node: node))))\nMARKERS = {\(names)}\n" + Self.calculatorCode
        return ("code", [
            "code_language": "python3", "code": .string(code), "variables": .array(variables),
            "outputs": ["output": ["type": "number", "children": .null], "text": ["type": "string", "children": .null]],
        ], nil)
    }

    private func codeData(language: String, code: String, inputs: [(name: String, value: ValueTemplate)], outputs: [(String, String)], node: String) -> [String: Value] {
        // Dify passes variables only: fixed arguments are written into the program.
        var variables: [Value] = []
        var source = code
        for input in inputs {
            if case .template(let template) = input.value, let path = template.singleReference {
                variables.append(["variable": .string(input.name), "value_selector": selectorValue(path)])
            } else if case .template(let template) = input.value, let first = template.references.first?.path {
                note(node, "argument '\(input.name)' is a template; Dify passes one variable per argument: exported as \(first)")
                variables.append(["variable": .string(input.name), "value_selector": selectorValue(first)])
            } else {
                source = "\(input.name) = \(JSONWriter.string(literalValue(input.value, node: node)))\n" + source
            }
        }
        return [
            "code_language": .string(language), "code": .string(source), "variables": .array(variables),
            "outputs": .object(Dictionary(outputs.map { ($0.0, ["type": .string($0.1), "children": .null] as Value) }) { first, _ in first }),
        ]
    }

    static let calculatorCode = """
        import ast
        import math
        import operator

        OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
                     ast.Mod: operator.mod, ast.Pow: operator.pow, ast.BitXor: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}
        FUNCTIONS = {"sqrt": math.sqrt, "abs": abs, "round": round, "floor": math.floor, "ceil": math.ceil, "ln": math.log,
                     "log": math.log10, "exp": math.exp, "sin": math.sin, "cos": math.cos, "tan": math.tan, "pow": math.pow,
                     "min": min, "max": max}
        CONSTANTS = {"pi": math.pi, "e": math.e}

        def evaluate(node):
            if isinstance(node, ast.Expression):
                return evaluate(node.body)
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
                return node.value
            if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
                return OPERATORS[type(node.op)](evaluate(node.left), evaluate(node.right))
            if isinstance(node, ast.UnaryOp) and type(node.op) in OPERATORS:
                return OPERATORS[type(node.op)](evaluate(node.operand))
            if isinstance(node, ast.Name) and node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
                return FUNCTIONS[node.func.id](*[evaluate(argument) for argument in node.args])
            raise ValueError("not arithmetic")

        def main(**values) -> dict:
            expression = EXPRESSION
            for name, marker in MARKERS.items():
                expression = expression.replace(marker, str(values[name]))
            value = evaluate(ast.parse(expression, mode="eval"))
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return {"output": value, "text": str(value)}
        """

    private func listData(_ list: ListOperatorNode, node: String) -> [String: Value] {
        let conditions: [Value] = list.filters.map { filter in
            [
                "key": .string(filter.key.joined(separator: ".")), "comparison_operator": .string(Self.operators[filter.op] ?? filter.op.rawValue),
                "value": .string(filter.value.map { text($0, node: node) } ?? ""),
            ]
        }
        return [
            "variable": selectorValue(list.list),
            "filter_by": ["enabled": .bool(!conditions.isEmpty), "conditions": .array(conditions)],
            "extract_by": ["enabled": .bool(list.extract != nil), "serial": .string(list.extract.map { text($0, node: node) } ?? "1")],
            "order_by": [
                "enabled": .bool(list.order != nil), "key": .string(list.order?.key.joined(separator: ".") ?? ""),
                "value": .string(list.order?.descending == true ? "desc" : "asc"),
            ],
            "limit": ["enabled": .bool(list.limit != nil), "size": .int(list.limit ?? 10)],
        ]
    }
}
