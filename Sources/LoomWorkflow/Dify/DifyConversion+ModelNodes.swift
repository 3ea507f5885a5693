extension DifyConversion {
    /// `model` and the sampling settings Loom knows from Dify's `completion_params`. `model` is the node's own
    /// (`data.model`) unless given (an agent's model selector, which names the model `model`).
    func modelFields(_ node: Node, model given: [String: Value]? = nil, _ builder: SourceBuilder) -> [(String, SourceNode?)] {
        let model = given ?? node.data["model"]?.objectValue ?? [:]
        let provider = model["provider"]?.stringValue ?? ""
        let name = model["name"]?.stringValue ?? model["model"]?.stringValue ?? ""
        var loomName = "default"
        if let mapped = importer.mapping.model(provider: provider, name: name) {
            loomName = mapped
        } else if importer.modelNames?.contains(name) == true {
            loomName = name
        } else if !name.isEmpty {
            report.notes.append(.init(nodeId: node.id, message: "model \(provider)/\(name) is not mapped; it runs on the default model (map it under models: in a mapping file)"))
        }
        var fields: [(String, SourceNode?)] = [("model", builder.text(loomName))]
        let parameters = model["completion_params"]?.objectValue ?? [:]
        if let value = parameters["temperature"]?.numberValue { fields.append(("temperature", builder.value(.double(min(max(value, 0), 2))))) }
        if let value = parameters["top_p"]?.numberValue { fields.append(("top_p", builder.value(.double(min(max(value, 0), 1))))) }
        if let value = parameters["max_tokens"]?.numberValue, value >= 1 { fields.append(("max_tokens", builder.value(.int(Int(value))))) }
        if let value = parameters["seed"]?.numberValue { fields.append(("seed", builder.value(.int(Int(value))))) }
        if let value = parameters["repetition_penalty"]?.numberValue {
            fields.append(("repetition_penalty", builder.value(.double(min(max(value, 0.01), 10)))))
        }
        if let stop = parameters["stop"]?.arrayValue, !stop.isEmpty { fields.append(("stop", builder.list(stop.map { builder.text($0.text) }))) }
        return fields
    }

    func llm(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        var context: String?
        if let settings = node.data["context"]?.objectValue, settings["enabled"]?.boolValue == true, let selector = settings["variable_selector"]?.arrayValue,
            selector.count >= 2
        {
            // Dify's context from a retrieval node is its chunks' text, which Loom's node outputs as `context`.
            let source = selector[0].text
            context = nodes[source]?.type == "knowledge-retrieval" && selector[1].text == "result" ? "{{#\(source).context#}}" : reference(.array(selector))
        }
        var messages: [(role: String, text: String)] = []
        switch node.data["prompt_template"] {
        case .array(let items):
            for item in items {
                guard let fields = item.objectValue else { continue }
                if fields["edition_type"]?.stringValue == "jinja2" {
                    report.notes.append(.init(nodeId: node.id, message: "a Jinja2 prompt is read from its plain-text form"))
                }
                messages.append((fields["role"]?.stringValue ?? "user", text(fields["text"]?.stringValue ?? "", context: context)))
            }
        case .object(let fields):
            messages.append(("user", text(fields["text"]?.stringValue ?? "", context: context)))
        default:
            break
        }
        var fields = modelFields(node, builder)
        if chat, let memory = node.data["memory"]?.objectValue {
            let window = memory["window"]?.objectValue
            let size = window?["enabled"]?.boolValue == true ? Int(window?["size"]?.numberValue ?? 10) : 50
            fields.append(("memory", builder.mapping([("window", builder.value(.int(min(max(size, 1), 100))))])))
            // With memory, Dify ends the prompt with the user's message.
            let query = memory["query_prompt_template"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "{{#sys.query#}}"
            messages.append(("user", text(query, context: context)))
        }
        if !messages.contains(where: { $0.role != "system" }) {
            messages.append(("user", chat ? "{{#sys.query#}}" : ""))
            report.notes.append(.init(nodeId: node.id, message: "the prompt had no user message; one was added\(chat ? " with the user's query" : "")"))
        }
        if node.data["vision"]?.objectValue?["enabled"]?.boolValue == true {
            report.notes.append(.init(nodeId: node.id, message: "vision (image inputs) is not supported; the prompt is sent as text"))
        }
        if node.data["structured_output_enabled"]?.boolValue == true, let schema = node.data["structured_output"]?.objectValue?["schema"], schema.objectValue != nil {
            fields.append(("output_schema", builder.value(schema)))
            report.notes.append(.init(nodeId: node.id, message: "structured output: read it as `\(node.id).structured` (Dify's `structured_output`)"))
        }
        let list = builder.list(messages.map { builder.mapping([($0.role, builder.text($0.text))]) })
        return .node(type: LLMNode.typeName, fields: fields + [("messages", list)])
    }

    func questionClassifier(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        var classes: [SourceNode] = []
        var routes: [(String, SourceNode?)] = []
        for item in node.data["classes"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let id = fields["id"]?.text else { continue }
            classes.append(builder.mapping([("id", builder.text(id)), ("name", builder.text(fields["name"]?.text ?? id))]))
            routes.append((id, targets(of: node, handle: id)))
        }
        var fields = modelFields(node, builder) + [("query", reference(node.data["query_variable_selector"]).map(builder.text))]
        if let instruction = node.data["instruction"]?.stringValue, !instruction.isEmpty { fields.append(("instruction", builder.text(text(instruction)))) }
        fields += [("classes", builder.list(classes)), ("routes", builder.mapping(routes))]
        return .node(type: QuestionClassifierNode.typeName, fields: fields, handles: Set(routes.map(\.0)))
    }

    func parameterExtractor(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        var parameters: [SourceNode] = []
        for item in node.data["parameters"]?.arrayValue ?? [] {
            guard let fields = item.objectValue, let name = fields["name"]?.stringValue else { continue }
            let difyType = fields["type"]?.stringValue ?? "string"
            let type = ["bool": "boolean", "select": "string"][difyType] ?? difyType
            parameters.append(
                builder.mapping([
                    ("name", builder.text(name)), ("type", builder.text(type)),
                    ("description", builder.text(fields["description"]?.stringValue ?? "")),
                    ("required", builder.value(.bool(fields["required"]?.boolValue ?? false))),
                ]))
        }
        // The query is a selector in Dify 0.6, text in some earlier exports.
        let query = node.data["query"].flatMap { $0.arrayValue != nil ? reference($0) : $0.stringValue.map { text($0) } }
        var fields = modelFields(node, builder) + [("query", query.map(builder.text))]
        if let instruction = node.data["instruction"]?.stringValue, !instruction.isEmpty { fields.append(("instruction", builder.text(text(instruction)))) }
        return .node(type: ParameterExtractorNode.typeName, fields: fields + [("parameters", builder.list(parameters))])
    }

    func knowledgeRetrieval(_ node: Node, _ builder: SourceBuilder) -> Mapping {
        var datasets: [String] = []
        for id in (node.data["dataset_ids"]?.arrayValue ?? []).map(\.text) {
            let name = importer.mapping.datasets[id] ?? id
            if let known = importer.knownDatasets, !known.contains(name) {
                return .unmapped("Dify dataset '\(id)' is not mapped to a Loom dataset (add it under datasets: in a mapping file, or create a dataset of that name)")
            }
            datasets.append(name)
        }
        guard !datasets.isEmpty else { return .unmapped("the node names no datasets") }
        var fields: [(String, SourceNode?)] = [
            ("query", reference(node.data["query_variable_selector"]).map(builder.text) ?? builder.text(chat ? "{{#sys.query#}}" : "")),
            ("datasets", builder.list(datasets.map(builder.text))),
        ]
        let settings = node.data["multiple_retrieval_config"]?.objectValue ?? [:]
        var mode = RetrievalMode.hybrid
        if let weight = settings["weights"]?.objectValue?["vector_setting"]?.objectValue?["vector_weight"]?.numberValue {
            mode = weight >= 1 ? .semantic : (weight <= 0 ? .fulltext : .hybrid)
        }
        fields.append(("mode", builder.text(mode.rawValue)))
        if let topK = settings["top_k"]?.numberValue { fields.append(("top_k", builder.value(.int(min(max(Int(topK), 1), 100))))) }
        if let threshold = settings["score_threshold"]?.numberValue, settings["score_threshold_enabled"]?.boolValue != false {
            fields.append(("score_threshold", builder.value(.double(max(threshold, 0)))))
        }
        if node.data["retrieval_mode"]?.stringValue == "single" {
            report.notes.append(.init(nodeId: node.id, message: "single-dataset retrieval (a model picks one dataset) searches all listed datasets"))
        }
        if settings["reranking_enable"]?.boolValue == true, settings["reranking_mode"]?.stringValue == "reranking_model" {
            report.notes.append(.init(nodeId: node.id, message: "the reranking model is not used; results are ranked by \(mode.rawValue) search"))
        }
        if let filtering = node.data["metadata_filtering_mode"]?.stringValue, filtering != "disabled" {
            report.notes.append(.init(nodeId: node.id, message: "metadata filtering (\(filtering)) is not carried over"))
        }
        return .node(type: KnowledgeRetrievalNode.typeName, fields: fields)
    }
}
