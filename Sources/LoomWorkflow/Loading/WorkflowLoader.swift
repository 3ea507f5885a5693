/// Turns a YAML or JSON document into a checked `Workflow`, or reports every problem with file, line, column
/// and node id. Reads no files itself: callers pass the text.
public struct WorkflowLoader: Sendable {
    public var tools: ToolRegistry
    /// Model names `llm` nodes may use; nil skips that check (no models file given).
    public var modelNames: [String]?
    public var nodeTypes: [any WorkflowNode.Type]
    /// Datasets that `knowledge-retrieval` and `dataset-annotation` nodes may name; nil skips that check.
    public var datasets: [String: KnownDataset]?
    /// How a Dify DSL's models and dataset ids become Loom names.
    public var difyMapping = DifyMapping()

    public static let builtInNodeTypes: [any WorkflowNode.Type] = [
        StartNode.self, EndNode.self, AnswerNode.self, LLMNode.self, IfElseNode.self, QuestionClassifierNode.self,
        ParameterExtractorNode.self, TemplateNode.self, VariableAggregatorNode.self, HTTPRequestNode.self, ToolNode.self,
        IterationNode.self, KnowledgeRetrievalNode.self, DatasetAnnotationNode.self, CodeNode.self, UnsupportedNode.self,
        AssignerNode.self, LoopNode.self, LoopBreakNode.self, ListOperatorNode.self, DocumentExtractorNode.self,
        AgentNode.self,
    ]

    static let topLevelKeys = [
        "app", "name", "description", "mode", "inputs", "env", "conversation_variables", "nodes", "edges", "limits", "annotations",
    ]

    public init(tools: ToolRegistry = .builtIn, modelNames: [String]? = nil, nodeTypes: [any WorkflowNode.Type] = Self.builtInNodeTypes) {
        self.tools = tools
        self.modelNames = modelNames
        self.nodeTypes = nodeTypes
    }

    public func load(_ text: String, file: String, format: DocumentFormat? = nil) throws(WorkflowLoadError) -> Workflow {
        let log = DiagnosticLog(file: file)
        let document: SourceNode
        do {
            document = try (format ?? .detect(fileName: file, text: text)).parse(text)
        } catch {
            throw WorkflowLoadError(diagnostics: [Diagnostic(file: file, location: error.location, message: error.message)])
        }
        let workflow = DifyImporter.isDify(document) ? readDify(document, log: log) : read(document, log: log)
        guard let workflow, log.isEmpty else { throw WorkflowLoadError(diagnostics: log.diagnostics) }
        return workflow
    }

    /// A Dify DSL is mapped onto Loom's format first; problems point into the Dify file.
    private func readDify(_ document: SourceNode, log: DiagnosticLog) -> Workflow? {
        let importer = DifyImporter(mapping: difyMapping, knownDatasets: datasets.map { Set($0.keys) }, modelNames: modelNames)
        guard let imported = importer.convert(document, log: log), var workflow = read(imported.document, log: log) else { return nil }
        workflow.difyReport = imported.report
        return workflow
    }

    private func read(_ document: SourceNode, log: DiagnosticLog) -> Workflow? {
        guard case .mapping(let list) = document.kind else {
            log.add("a workflow must be a mapping with 'app' and 'nodes', not a \(document.kindName)", at: document.location)
            return nil
        }
        var entries: [String: SourceEntry] = [:]
        for entry in list {
            if entries[entry.key] != nil { log.add("duplicate key '\(entry.key)'", at: entry.keyLocation) }
            entries[entry.key] = entry
        }
        for entry in list where !Self.topLevelKeys.contains(entry.key) {
            log.add("unknown top-level key '\(entry.key)'; expected: \(Self.topLevelKeys.joined(separator: ", "))", at: entry.keyLocation)
        }
        let top = TopLevelReader(entries: entries, log: log, location: document.location)
        let app = top.slug("app")
        let name = top.text("name") ?? app
        let description = top.text("description")
        let mode = top.mode()
        let inputs = top.inputs()
        let environment = top.environment()
        let conversationVariables = top.conversationVariables(mode: mode)
        let limits = top.limits()
        let annotations = entries["annotations"].flatMap { AnnotationSettings.read($0.value, log: log, datasets: datasets) }
        let session = LoadSession(log: log, tools: tools, modelNames: modelNames, datasets: datasets, nodeTypes: nodeTypes)
        guard let nodes = entries["nodes"]?.value else {
            log.add("missing 'nodes': a workflow needs a list of nodes", at: document.location)
            return nil
        }
        guard let graph = session.loadGraph(nodes, explicitEdges: entries["edges"]?.value), let app, let name else { return nil }
        let workflow = Workflow(
            app: app, name: name, description: description, mode: mode, inputs: inputs, environment: environment,
            conversationVariables: conversationVariables, graph: graph,
            limits: limits, annotations: annotations, document: document.value)
        WorkflowValidator(workflow: workflow, log: log, failedIds: session.failedIds).validate()
        return workflow
    }
}

/// Reads the top-level keys other than nodes and edges.
private struct TopLevelReader {
    let entries: [String: SourceEntry]
    let log: DiagnosticLog
    let location: SourceLocation

    func text(_ key: String) -> String? {
        guard let node = entries[key]?.value else { return nil }
        guard case .scalar(.string(let text)) = node.kind else {
            log.add("'\(key)' must be text, not a \(node.kindName)", at: node.location)
            return nil
        }
        return text
    }

    func slug(_ key: String) -> String? {
        guard entries[key] != nil else {
            log.add("missing '\(key)': the app's identifier (lowercase letters, digits, '-' and '_')", at: location)
            return nil
        }
        guard let slug = text(key) else { return nil }
        let valid = slug.count <= 64 && slug.first.map { $0.isASCII && ($0.isLowercase || $0.isNumber) } == true
            && slug.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }
        if !valid {
            log.add("'\(slug)' is not a valid app identifier: use lowercase letters, digits, '-' and '_' (at most 64)", at: entries[key]!.value.location)
            return nil
        }
        return slug
    }

    func mode() -> Workflow.Mode {
        guard let text = text("mode") else { return .workflow }
        switch text {
        case "workflow": return .workflow
        case "chat", "advanced-chat": return .chat
        default:
            log.add("'mode' must be workflow or chat, got '\(text)'", at: entries["mode"]!.value.location)
            return .workflow
        }
    }

    func inputs() -> [InputDeclaration] {
        guard let node = entries["inputs"]?.value else { return [] }
        guard case .mapping(let list) = node.kind else {
            log.add("'inputs' must be a mapping of input names to declarations", at: node.location)
            return []
        }
        var declarations: [InputDeclaration] = []
        for entry in list {
            if let declaration = input(entry) { declarations.append(declaration) }
        }
        return declarations
    }

    private func input(_ entry: SourceEntry) -> InputDeclaration? {
        let name = entry.key
        guard VariablePath.isName(name) else {
            log.add("'\(name)' is not a valid input name (letters, digits, '_' and '-')", at: entry.keyLocation)
            return nil
        }
        var declaration = InputDeclaration(
            name: name, kind: .text, required: false, defaultValue: nil, maxLength: nil, options: [], label: nil, location: entry.keyLocation)
        let fields: [SourceEntry]
        switch entry.value.kind {
        case .scalar(.string):
            fields = [SourceEntry(key: "type", keyLocation: entry.keyLocation, value: entry.value)]
        case .mapping(let list): fields = list
        default:
            log.add("input '\(name)' must be a type name or a mapping {type, required, default, …}", at: entry.value.location)
            return nil
        }
        let allowed = ["type", "required", "default", "max_length", "options", "label", "description"]
        var defaultNode: SourceNode?
        for field in fields {
            let value = field.value
            switch field.key {
            case "type":
                let raw = value.value.text
                // Dify calls text inputs text-input and booleans checkbox.
                let aliases: [String: InputDeclaration.Kind] = ["text-input": .text, "checkbox": .boolean, "string": .text, "object": .json]
                guard let kind = InputDeclaration.Kind(rawValue: raw) ?? aliases[raw] else {
                    log.add("input '\(name)' has unknown type '\(raw)'; expected one of: \(InputDeclaration.Kind.allCases.map(\.rawValue).joined(separator: ", "))", at: value.location)
                    return nil
                }
                declaration.kind = kind
            case "required":
                guard case .scalar(.bool(let flag)) = value.kind else {
                    log.add("'required' of input '\(name)' must be true or false", at: value.location)
                    return nil
                }
                declaration.required = flag
            case "default":
                defaultNode = value
            case "max_length":
                guard case .scalar(.int(let length)) = value.kind, length > 0 else {
                    log.add("'max_length' of input '\(name)' must be a positive whole number", at: value.location)
                    return nil
                }
                declaration.maxLength = length
            case "options":
                guard case .sequence(let items) = value.kind, !items.isEmpty else {
                    log.add("'options' of input '\(name)' must be a non-empty list", at: value.location)
                    return nil
                }
                declaration.options = items.map { $0.value.text }
            case "label", "description":
                declaration.label = field.key == "label" ? value.value.text : declaration.label
            default:
                log.add("unknown key '\(field.key)' in input '\(name)'; allowed: \(allowed.joined(separator: ", "))", at: field.keyLocation)
            }
        }
        if declaration.kind == .select, declaration.options.isEmpty {
            log.add("select input '\(name)' needs 'options'", at: entry.keyLocation)
        }
        if let defaultNode {
            do {
                declaration.defaultValue = try declaration.coerce(defaultNode.value)
            } catch {
                log.add("default of input '\(name)': \(error)", at: defaultNode.location)
            }
        }
        return declaration
    }

    func environment() -> [EnvironmentDeclaration] {
        guard let node = entries["env"]?.value else { return [] }
        guard case .mapping(let list) = node.kind else {
            log.add("'env' must be a mapping of variable names to defaults or {default, secret}", at: node.location)
            return []
        }
        var declarations: [EnvironmentDeclaration] = []
        for entry in list {
            switch entry.value.kind {
            case .scalar(let value):
                declarations.append(EnvironmentDeclaration(name: entry.key, defaultValue: value.isNull ? nil : value.text, secret: false))
            case .mapping(let fields):
                var declaration = EnvironmentDeclaration(name: entry.key, defaultValue: nil, secret: false)
                for field in fields {
                    switch (field.key, field.value.kind) {
                    case ("default", .scalar(let value)): declaration.defaultValue = value.isNull ? nil : value.text
                    case ("secret", .scalar(.bool(let flag))): declaration.secret = flag
                    case ("description", _): break
                    default: log.add("unknown or malformed key '\(field.key)' in env variable '\(entry.key)'; allowed: default, secret, description", at: field.keyLocation)
                    }
                }
                declarations.append(declaration)
            case .sequence:
                log.add("env variable '\(entry.key)' must be a default value or {default, secret}", at: entry.value.location)
            }
        }
        return declarations
    }

    /// `conversation_variables: {NAME: TYPE}` or `{NAME: {type, default, description}}`.
    func conversationVariables(mode: Workflow.Mode) -> [ConversationVariable] {
        guard let node = entries["conversation_variables"]?.value else { return [] }
        guard mode == .chat else {
            log.add("conversation variables are kept from turn to turn of a conversation: they need 'mode: chat'", at: node.location)
            return []
        }
        guard case .mapping(let list) = node.kind else {
            log.add("'conversation_variables' must be a mapping of names to a type or {type, default, description}", at: node.location)
            return []
        }
        var variables: [ConversationVariable] = []
        for entry in list {
            guard VariablePath.isName(entry.key) else {
                log.add("'\(entry.key)' is not a valid variable name (letters, digits, '_' and '-')", at: entry.keyLocation)
                continue
            }
            var typeNode = entry.value
            var defaultNode: SourceNode?
            var description: String?
            if case .mapping(let fields) = entry.value.kind {
                guard let type = fields.first(where: { $0.key == "type" }) else {
                    log.add("conversation variable '\(entry.key)' needs a 'type'", at: entry.value.location)
                    continue
                }
                typeNode = type.value
                for field in fields where field.key != "type" {
                    switch field.key {
                    case "default": defaultNode = field.value
                    case "description": description = field.value.value.text
                    default: log.add("unknown key '\(field.key)' in conversation variable '\(entry.key)'; allowed: type, default, description", at: field.keyLocation)
                    }
                }
            }
            guard case .scalar(.string(let typeName)) = typeNode.kind, let type = ValueType(name: typeName) else {
                log.add(
                    "conversation variable '\(entry.key)' has an unknown type; use one of: \(ValueType.allCases.map(\.rawValue).joined(separator: ", "))",
                    at: typeNode.location)
                continue
            }
            let value = defaultNode?.value ?? type.empty
            if let problem = type.problem(with: value, limits: false) {
                log.add("the default of conversation variable '\(entry.key)' does not fit its type \(type.rawValue): \(problem)", at: defaultNode?.location ?? entry.keyLocation)
                continue
            }
            variables.append(ConversationVariable(name: entry.key, type: type, defaultValue: value, description: description))
        }
        return variables
    }

    func limits() -> RunLimits {
        var limits = RunLimits.default
        guard let node = entries["limits"]?.value else { return limits }
        guard case .mapping(let list) = node.kind else {
            log.add("'limits' must be a mapping", at: node.location)
            return limits
        }
        for entry in list {
            guard case .scalar(let value) = entry.value.kind, let number = value.numberValue, number > 0, value.typeName == "number" else {
                log.add("limit '\(entry.key)' must be a positive number", at: entry.value.location)
                continue
            }
            switch entry.key {
            case "max_steps": limits.maxSteps = Int(number)
            case "max_seconds": limits.maxDuration = .milliseconds(Int(number * 1000))
            case "max_depth": limits.maxDepth = Int(number)
            case "max_iteration_items": limits.maxIterationItems = Int(number)
            case "max_variable_kb": limits.maxVariableBytes = Int(number * 1024)
            default:
                log.add("unknown limit '\(entry.key)'; known: max_steps, max_seconds, max_depth, max_iteration_items, max_variable_kb", at: entry.keyLocation)
            }
        }
        return limits
    }
}
