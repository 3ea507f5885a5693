import Hummingbird
import LoomWorkflow

/// Every route of the server.
enum LoomRoutes {
    static let runBody: Value = [
        "type": "object", "required": ["inputs"],
        "properties": [
            "inputs": ["type": "object"], "response_mode": ["type": "string", "enum": ["blocking", "streaming"]], "user": ["type": "string"],
            "version": ["type": "integer"], "files": filesSchema,
        ],
    ]
    /// `sys.files`: files by URL, as Dify's API takes them.
    static let filesSchema: Value = [
        "type": "array",
        "items": [
            "type": "object", "required": ["type", "url"],
            "properties": [
                "type": ["type": "string", "enum": ["image", "document", "audio", "video", "custom"]],
                "transfer_method": ["type": "string", "enum": ["remote_url"]], "url": ["type": "string"],
            ],
        ],
    ]
    static let chatBody: Value = [
        "type": "object", "required": ["query"],
        "properties": [
            "query": ["type": "string"], "inputs": ["type": "object"], "conversation_id": ["type": "string"],
            "response_mode": ["type": "string", "enum": ["blocking", "streaming"]], "user": ["type": "string"], "files": filesSchema,
        ],
    ]
    static let serviceErrors: [Int: String] = [
        400: "invalid_param: inputs missing or of the wrong type", 401: "unauthorized: unknown or revoked key",
        403: "forbidden: the key belongs to another app", 413: "payload_too_large", 429: "too_many_requests",
        503: "database_unavailable",
    ]

    static let datasetBody: Value = [
        "type": "object", "required": ["name"],
        "properties": [
            "name": ["type": "string"], "kind": ["type": "string", "enum": ["knowledge", "samples"]], "description": ["type": "string"],
            "embedding_model": ["type": "string"], "chunk_tokens": ["type": "integer"], "chunk_overlap": ["type": "integer"],
        ],
    ]
    static let searchBody: Value = [
        "type": "object", "required": ["query"],
        "properties": [
            "query": ["type": "string"], "mode": ["type": "string", "enum": ["semantic", "fulltext", "hybrid"]], "top_k": ["type": "integer"],
            "version": ["type": "integer"], "score_threshold": ["type": "number"], "filters": ["type": "object"],
        ],
    ]

    static func endpoints(
        service: ServiceAPIController, chat: ChatController, admin: AdminController, datasets: DatasetController, knowledge: KnowledgeAPIController,
        samples: SampleController, fineTuning: FineTuningController, operations: OperationsController, mcp: MCPController
    ) -> [Endpoint] {
        var endpoints: [Endpoint] = [
            Endpoint(
                method: .post, path: "/mcp",
                summary: "MCP over streamable HTTP (JSON, no sessions): the app the key opens as a tool — initialize, tools/list, tools/call",
                access: .appKey, body: ["type": "object", "required": ["jsonrpc", "method"]],
                responses: [200: "A JSON-RPC response", 202: "A notification, accepted", 400: "Not a JSON-RPC message", 401: "unauthorized"],
                handler: mcp.handle),
        ]
        // Dify's knowledge API, with a dataset key.
        let knowledgeRoute = GuardedRoute(
            access: .datasetKey, errors: [401: "unauthorized: unknown or revoked dataset key", 403: "forbidden: an app key", 404: "not_found"])
        endpoints += [
            knowledgeRoute(.post, "/v1/datasets", "Create a dataset (Dify: the id is its name)", body: ["type": "object", "required": ["name"], "properties": ["name": ["type": "string"], "description": ["type": "string"]]], knowledge.create),
            knowledgeRoute(.get, "/v1/datasets", "List datasets", query: ["page", "limit"], knowledge.list),
            knowledgeRoute(.delete, "/v1/datasets/{dataset_id}", "Delete a dataset", ok: 204, knowledge.delete),
            knowledgeRoute(.get, "/v1/datasets/{dataset_id}", "A dataset", knowledge.show),
            knowledgeRoute(.get, "/v1/datasets/{dataset_id}/documents/{document_id}/indexing-status", "Where a batch's indexing is (Dify puts the batch id in the document's place)", knowledge.indexingStatus),
            knowledgeRoute(.get, "/v1/datasets/{dataset_id}/documents", "The documents of the latest version", query: ["page", "limit"], knowledge.documents),
            knowledgeRoute(
                .delete, "/v1/datasets/{dataset_id}/documents/{document_id}", "Remove a document (a new version; a name with '/' percent-encoded)",
                ok: 204, knowledge.deleteDocument),
            knowledgeRoute(
                .get, "/v1/datasets/{dataset_id}/documents/{document_id}/segments", "A document's chunks in the latest version", query: ["page", "limit"],
                knowledge.segments),
            knowledgeRoute(
                .post, "/v1/datasets/{dataset_id}/documents/{document_id}/segments/{segment_id}",
                "Edit a chunk's text (re-embedded; a new version, where the chunk has a new id)",
                body: ["type": "object", "required": ["segment"], "properties": ["segment": ["type": "object", "required": ["content"], "properties": ["content": ["type": "string"]]]]],
                knowledge.updateSegment),
            knowledgeRoute(
                .post, "/v1/datasets/{dataset_id}/retrieve", "Search a dataset (semantic_search, full_text_search, hybrid_search)",
                body: ["type": "object", "required": ["query"], "properties": ["query": ["type": "string"], "retrieval_model": ["type": "object"]]], knowledge.retrieve),
        ]
        // Dify spells these with '-' in its current documentation and '_' in earlier; both are served.
        for spelling in ["-", "_"] {
            endpoints += [
                knowledgeRoute(
                    .post, "/v1/datasets/{dataset_id}/document/create\(spelling)by\(spelling)text", "Add a document from text; indexed by a job (the batch)",
                    body: ["type": "object", "required": ["name", "text"], "properties": ["name": ["type": "string"], "text": ["type": "string"]]],
                    knowledge.createByText),
                knowledgeRoute(
                    .post, "/v1/datasets/{dataset_id}/document/create\(spelling)by\(spelling)file",
                    "Add a document from a file (multipart: 'file', and 'data' JSON with optional text_columns); indexed by a job (the batch)",
                    body: ["type": "object", "required": ["file"], "properties": ["file": ["type": "string", "format": "binary"], "data": ["type": "string"]]],
                    bodyMediaType: "multipart/form-data", knowledge.createByFile),
            ]
        }
        // The Service API, at /v1 (the key names the app) and at /apps/{app}/v1 (a base URL per app).
        for base in ["/v1", "/apps/{app}/v1"] {
            let scoped = base != "/v1"
            let errors = serviceErrors.merging(scoped ? [404: "not_found: no such app or run"] : [:]) { first, _ in first }
            endpoints += [
                Endpoint(
                    method: .post, path: base + "/workflows/run", summary: "Run the published workflow (blocking JSON or streaming SSE)",
                    access: .appKey, body: runBody, responses: errors.merging([200: "The run's result, or an SSE stream of its events"]) { a, _ in a },
                    handler: service.runWorkflow),
                Endpoint(
                    method: .get, path: base + "/workflows/run/{id}", summary: "A run's status, inputs and outputs", access: .appKey,
                    responses: [200: "The run", 401: "unauthorized", 404: "not_found"], handler: service.run),
                Endpoint(
                    method: .post, path: base + "/workflows/tasks/{id}/stop", summary: "Stop a running run, on whichever server runs it",
                    access: .appKey, responses: [200: "{\"result\": \"success\"}", 401: "unauthorized", 404: "not_found"], handler: service.stop),
                Endpoint(
                    method: .post, path: base + "/chat-messages", summary: "Send a message to a chat app", access: .appKey, body: chatBody,
                    responses: errors.merging([200: "The answer, or an SSE stream of message events"]) { a, _ in a }, handler: chat.send),
                Endpoint(
                    method: .get, path: base + "/conversations", summary: "A user's conversations", access: .appKey, query: ["user", "limit"],
                    responses: [200: "Conversations", 401: "unauthorized"], handler: chat.conversations),
                Endpoint(
                    method: .get, path: base + "/conversations/{id}/variables",
                    summary: "A conversation's variables: each declared one with its type and the value the last turn left", access: .appKey,
                    query: ["user"], responses: [200: "Variables", 401: "unauthorized", 404: "conversation_not_exists"], handler: chat.variables),
                Endpoint(
                    method: .get, path: base + "/messages", summary: "The messages of a conversation", access: .appKey,
                    query: ["conversation_id", "user", "limit"], responses: [200: "Messages", 401: "unauthorized", 404: "conversation_not_exists"],
                    handler: chat.messages),
                Endpoint(
                    method: .post, path: base + "/messages/{message_id}/feedbacks",
                    summary: "Like or dislike an answer (rating null withdraws it); an app with annotations keeps it as a sample", access: .appKey,
                    body: ["type": "object", "properties": ["rating": ["type": "string", "enum": ["like", "dislike"]], "user": ["type": "string"], "content": ["type": "string"]]],
                    responses: [200: "{\"result\": \"success\"}", 400: "invalid_param", 401: "unauthorized", 404: "message_not_exists"], handler: chat.feedback),
                Endpoint(
                    method: .get, path: base + "/info", summary: "The app's name, description and mode", access: .appKey,
                    responses: [200: "App information", 401: "unauthorized"], handler: service.info),
                Endpoint(
                    method: .get, path: base + "/parameters", summary: "The app's inputs as Dify's user_input_form", access: .appKey,
                    responses: [200: "The input form", 401: "unauthorized"], handler: service.parameters),
            ]
        }
        let adminRoute = GuardedRoute(access: .admin, errors: [401: "unauthorized: not the admin token", 404: "not_found"])
        endpoints += [
            Endpoint(
                method: .post, path: "/admin/apps", summary: "Create an app or a new draft version from Loom YAML or JSON, or a Dify DSL (?publish=true to publish it; a JSON body {source, file, dify_mapping: {models, datasets}} maps Dify names)",
                access: .admin, query: ["file", "message", "author", "publish"],
                responses: [201: "A new version", 200: "Unchanged: no new version", 401: "unauthorized", 413: "payload_too_large", 422: "invalid_workflow: FILE:LINE:COLUMN messages"],
                handler: admin.deploy),
            adminRoute(.get, "/admin/apps", "List apps", admin.list),
            adminRoute(.get, "/admin/apps/{app}", "An app and its versions", admin.show),
            adminRoute(.delete, "/admin/apps/{app}", "Delete an app with its versions, keys and runs", ok: 204, admin.delete),
            adminRoute(.get, "/admin/apps/{app}/versions", "An app's versions", admin.versions),
            adminRoute(.get, "/admin/apps/{app}/versions/{version}", "One version with its source", admin.version),
            adminRoute(.post, "/admin/apps/{app}/publish", "Publish a version (the draft when none is named)", body: ["type": "object", "properties": ["version": ["type": "integer"]]], admin.publish),
            adminRoute(.post, "/admin/apps/{app}/rollback", "Publish the previously published version again", admin.rollback),
            adminRoute(.get, "/admin/apps/{app}/diff", "What changed between two versions", query: ["from", "to"], admin.diff),
            adminRoute(.post, "/admin/apps/{app}/keys", "Create an app key (shown once)", body: ["type": "object", "properties": ["name": ["type": "string"]]], ok: 201, admin.createKey),
            adminRoute(.post, "/admin/apps/{app}/call", "Run an app as its callers do, with the admin token (loom call)", body: runBody, admin.call),
            adminRoute(.get, "/admin/keys", "List keys (prefixes only)", query: ["app"], admin.keys),
            adminRoute(.post, "/admin/dataset-keys", "Create a dataset key for /v1/datasets (shown once)", body: ["type": "object", "properties": ["name": ["type": "string"]]], ok: 201, admin.createDatasetKey),
            adminRoute(.delete, "/admin/keys/{id}", "Revoke a key", ok: 204, admin.revokeKey),
            adminRoute(.get, "/admin/runs", "List runs, newest first", query: ["app", "status", "since", "until", "limit"], admin.runs),
            adminRoute(.get, "/admin/runs/{id}", "A run with its node runs", admin.runDetail),
            adminRoute(.get, "/admin/models", "Configured models and whether they answer", admin.modelHealth),
            adminRoute(.post, "/admin/datasets", "Create a dataset (its embedding model is asked for its dimensions)", body: datasetBody, ok: 201, datasets.create),
            adminRoute(.get, "/admin/datasets", "List datasets", datasets.list),
            adminRoute(.get, "/admin/datasets/{dataset}", "A dataset and the documents of its latest version", datasets.show),
            adminRoute(.delete, "/admin/datasets/{dataset}", "Delete a dataset with all its versions", ok: 204, datasets.delete),
            adminRoute(
                .post, "/admin/datasets/{dataset}/documents", "Import one document file (the body; ?file=NAME picks the reader) as a new version",
                query: ["file", "name", "text_columns", "message", "commit"], datasets.upload),
            adminRoute(
                .post, "/admin/datasets/{dataset}/versions", "Make stored document versions (from uploads with ?commit=false) one new version",
                body: ["type": "object", "required": ["documents"], "properties": ["documents": ["type": "array"], "message": ["type": "string"]]],
                datasets.commit),
            adminRoute(
                .post, "/admin/datasets/{dataset}/uploads", "Store one document file (the body, ?file=NAME) for an import job", query: ["file"], ok: 201,
                datasets.stage),
            adminRoute(
                .post, "/admin/datasets/{dataset}/imports", "Queue an import of stored uploads as one new version; answers the job",
                body: ["type": "object", "required": ["uploads"], "properties": ["uploads": ["type": "array"], "text_columns": ["type": "array"], "message": ["type": "string"]]],
                ok: 202, datasets.startImport),
            adminRoute(.get, "/admin/jobs", "Import jobs, newest first", query: ["dataset"], datasets.jobs),
            adminRoute(.get, "/admin/jobs/{id}", "A job's status, progress and result", datasets.jobDetail),
            adminRoute(.post, "/admin/datasets/{dataset}/search", "Semantic, full-text or hybrid search", body: searchBody, datasets.search),
            adminRoute(.get, "/admin/datasets/{dataset}/versions", "A dataset's versions", datasets.versions),
            adminRoute(
                .post, "/admin/datasets/{dataset}/rollback", "A new version holding what an earlier one held (default: the one before the latest)",
                body: ["type": "object", "properties": ["version": ["type": "integer"]]], datasets.rollback),
            adminRoute(
                .delete, "/admin/datasets/{dataset}/documents/{document}", "Remove a document: a new version without it ('/' percent-encoded)",
                datasets.removeDocument),
            adminRoute(.get, "/admin/datasets/{dataset}/documents/{document}/chunks", "A document's chunks in the latest version", datasets.documentChunks),
            adminRoute(
                .put, "/admin/datasets/{dataset}/documents/{document}/chunks/{chunk}", "Edit a chunk's text: re-embedded, a new version, a new chunk id",
                body: ["type": "object", "required": ["content"], "properties": ["content": ["type": "string"]]], datasets.editChunk),
            adminRoute(
                .get, "/admin/datasets/{dataset}/export", "A version's chunks as JSON lines", query: ["version", "embeddings"], datasets.export),
            adminRoute(.get, "/admin/datasets/{dataset}/diff", "Documents added, changed and removed between two versions", query: ["from", "to"], datasets.diff),
            adminRoute(
                .get, "/admin/datasets/{dataset}/samples", "A samples dataset's records, by id", query: ["status", "version", "after", "limit"], samples.list),
            adminRoute(
                .post, "/admin/datasets/{dataset}/samples",
                "Import training records (JSON lines in the body), all or none; duplicates are skipped. A new version",
                bodyMediaType: "application/jsonl", query: ["status", "file", "message"], ok: 201, samples.importLines),
            adminRoute(
                .post, "/admin/datasets/{dataset}/samples/review", "Approve, reject, rate or label samples: one new version",
                body: [
                    "type": "object", "required": ["ids"],
                    "properties": [
                        "ids": ["type": "array", "items": ["type": "integer"]], "status": ["type": "string", "enum": ["pending", "approved", "rejected"]],
                        "rating": ["type": "integer"], "label": ["type": "string"],
                    ],
                ], samples.review),
            adminRoute(
                .get, "/admin/datasets/{dataset}/samples/export", "A version's records as JSON lines (approved ones unless ?status=all|pending|rejected)",
                query: ["version", "status", "review"], samples.export),
            adminRoute(.get, "/admin/datasets/{dataset}/samples/{id}", "One sample", query: ["version"], samples.show),
            adminRoute(
                .put, "/admin/datasets/{dataset}/samples/{id}", "Edit a sample's record or review: a new version",
                body: ["type": "object", "properties": ["record": ["type": "object"], "status": ["type": "string"], "rating": ["type": "integer"], "label": ["type": "string"]]],
                samples.update),
            adminRoute(
                .post, "/v1/fine_tuning/jobs",
                "Create a fine-tune job (OpenAI's shape; the training data is a samples dataset, NAME or NAME@VERSION). Request problems answer 400; data that cannot train makes a failed job",
                body: [
                    "type": "object", "required": ["model", "dataset"],
                    "properties": [
                        "model": ["type": "string"], "dataset": ["type": "string"], "training_file": ["type": "string"], "validation": ["type": "string"],
                        "suffix": ["type": "string"], "seed": ["type": "integer"],
                        "hyperparameters": [
                            "type": "object",
                            "properties": [
                                "n_epochs": ["type": "integer"], "batch_size": ["type": "integer"], "learning_rate": ["type": "number"],
                                "learning_rate_multiplier": ["type": "number"], "lora_rank": ["type": "integer"], "lora_alpha": ["type": "number"],
                                "validation_split": ["type": "number"], "warmup_fraction": ["type": "number"], "weight_decay": ["type": "number"],
                            ],
                        ],
                    ],
                ], ok: 201, fineTuning.create),
            adminRoute(.get, "/v1/fine_tuning/jobs", "Fine-tune jobs, newest first", query: ["after", "limit"], fineTuning.list),
            adminRoute(.get, "/v1/fine_tuning/jobs/{id}", "A fine-tune job with its latest progress", fineTuning.show),
            adminRoute(.post, "/v1/fine_tuning/jobs/{id}/cancel", "Cancel a job: at once if it has not started, else within a step", fineTuning.cancel),
            adminRoute(.get, "/v1/fine_tuning/jobs/{id}/events", "A job's events, oldest first; ?after=EVENT_ID for newer ones", query: ["after", "limit"], fineTuning.events),
            adminRoute(.get, "/v1/fine_tuning/jobs/{id}/checkpoints", "A job's checkpoints, newest first", fineTuning.checkpoints),
            Endpoint(
                method: .get, path: "/healthz", summary: "Database and model reachability", access: .none,
                responses: [200: "ok or degraded", 503: "the database is unavailable"], handler: operations.health),
            Endpoint(method: .get, path: "/metrics", summary: "Prometheus metrics", access: .none, responses: [200: "Metrics"], handler: operations.prometheus),
            Endpoint(
                method: .get, path: "/openapi.json", summary: "This description", access: .none, responses: [200: "OpenAPI 3 document"],
                handler: operations.document),
        ]
        return endpoints
    }
}

/// Builds routes behind one kind of key or token: their shared error answers plus each route's success status.
struct GuardedRoute {
    let access: Endpoint.Access
    let errors: [Int: String]

    func callAsFunction(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, body: Value? = nil, bodyMediaType: String = "application/json",
        query: [String] = [], ok: Int = 200, _ handler: @escaping @Sendable (Request, LoomRequestContext) async throws -> Response
    ) -> Endpoint {
        Endpoint(
            method: method, path: path, summary: summary, access: access, body: body, bodyMediaType: bodyMediaType, query: query,
            responses: errors.merging([ok: ok == 204 ? "Done" : "Success"]) { a, _ in a }, handler: handler)
    }
}
