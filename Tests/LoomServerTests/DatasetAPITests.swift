import Foundation
import LoomConnectors
import LoomServer
import LoomTestSupport
import LoomWorkflow
import Testing

/// The dataset admin API and a workflow's knowledge-retrieval node, on a real server, database and embedding worker.
@Suite(.serialized) struct DatasetAPITests {
    static func withServer<T: Sendable>(configure: @escaping @Sendable (inout ServerConfiguration) -> Void = { _ in }, _ body: @Sendable (ServerHarness) async throws -> T) async throws -> T {
        try await TestWorker.with(serving: { $0.kind == .embedding }) { baseURL, _, _ in
            let catalog = ModelCatalog(endpoints: ["minilm-l6": ModelEndpoint(name: "minilm-l6", baseURL: baseURL + "/v1", model: "minilm-l6")], defaultName: nil)
            return try await ServerHarness.with(catalog: catalog, configure: configure, body)
        }
    }

    @Test func createImportSearchAndAnswerFromAWorkflow() async throws {
        try await Self.withServer { server in
            let created = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "ops", "chunk_tokens": 60, "chunk_overlap": 10}"#)
            #expect(created.status == 201 && created.body[path: ["dimensions"]] == 384 && created.body[path: ["embedding_model"]] == "minilm-l6")

            let upload = try await server.admin(
                .POST, "/admin/datasets/ops/documents?file=guide.md", body: DatasetImporterTests.guide, contentType: "text/markdown")
            #expect(upload.status == 200 && upload.body[path: ["version"]] == 1 && upload.body[path: ["chunks"]] == 3)
            let again = try await server.admin(.POST, "/admin/datasets/ops/documents?file=guide.md", body: DatasetImporterTests.guide)
            #expect(again.body[path: ["stored"]] == 0 && again.body[path: ["version"]] == 1)

            let search = try await server.admin(.POST, "/admin/datasets/ops/search", body: #"{"query": "How do I back up the database?", "mode": "semantic", "top_k": 1}"#)
            #expect(search.body[path: ["records", "0", "content"]]?.stringValue?.contains("pg_dump") == true)
            #expect(search.body[path: ["records", "0", "document"]] == "guide.md")

            let key = try await server.publish("""
                app: ask-ops
                inputs: {question: {type: text, required: true}}
                nodes:
                  - {id: search, type: knowledge-retrieval, query: "{{ inputs.question }}", datasets: [ops@1], mode: hybrid, top_k: 1, next: done}
                  - {id: done, type: end, outputs: {context: "{{ search.context }}"}}
                """)
            let run = try await server.request(
                .POST, "/v1/workflows/run", token: key, body: #"{"inputs": {"question": "nightly backups with pg_dump"}, "response_mode": "blocking", "user": "u"}"#)
            #expect(run.body[path: ["data", "status"]] == "succeeded")
            #expect(run.body[path: ["data", "outputs", "context"]]?.stringValue?.contains("pg_dump") == true)

            // Two files stored without committing, then made one version.
            let a = try await server.admin(.POST, "/admin/datasets/ops/documents?file=a.txt&commit=false", body: "Alpha notes.")
            let b = try await server.admin(.POST, "/admin/datasets/ops/documents?file=b.txt&commit=false", body: "Bravo notes.")
            #expect(a.body[path: ["version"]] == 1 && b.body[path: ["version"]] == 1)
            let ids = (a.body[path: ["document_versions"]]?.arrayValue ?? []) + (b.body[path: ["document_versions"]]?.arrayValue ?? [])
            let commit = try await server.admin(.POST, "/admin/datasets/ops/versions", body: JSONWriter.string(["documents": .array(ids), "message": "two notes"]))
            #expect(commit.body[path: ["version"]] == 2)
            let diff = try await server.admin(.GET, "/admin/datasets/ops/diff?from=1&to=2")
            #expect(diff.body[path: ["added"]] == ["a.txt", "b.txt"] && diff.body[path: ["removed"]] == [])

            let list = try await server.admin(.GET, "/admin/datasets")
            #expect(list.body[path: ["data", "0", "latest_version"]] == 2)
            let versions = try await server.admin(.GET, "/admin/datasets/ops/versions")
            #expect(versions.body[path: ["data", "1", "documents"]] == 3 && versions.body[path: ["data", "1", "message"]] == "two notes")
        }
    }

    @Test func editingAChunkReembedsItInANewVersionAndLeavesTheOldVersionAlone() async throws {
        try await Self.withServer { server in
            #expect(try await server.admin(.POST, "/admin/datasets", body: #"{"name": "ops", "chunk_tokens": 60, "chunk_overlap": 10}"#).status == 201)
            _ = try await server.admin(.POST, "/admin/datasets/ops/documents?file=guide.md&name=runbooks/guide.md", body: DatasetImporterTests.guide)
            let listed = try await server.admin(.GET, "/admin/datasets/ops/documents/runbooks%2Fguide.md/chunks")
            #expect(listed.status == 200 && listed.body[path: ["data"]]?.arrayValue?.count == 3, "\(listed.body)")
            let first = try #require(listed.body[path: ["data", "0", "id"]]?.numberValue.map { Int($0) })
            let third = try #require(listed.body[path: ["data", "2"]])

            let edited = try await server.admin(
                .PUT, "/admin/datasets/ops/documents/runbooks%2Fguide.md/chunks/\(first)", body: #"{"content": "Rotate the TLS certificates every ninety days."}"#)
            #expect(edited.status == 200 && edited.body[path: ["version"]] == 2, "\(edited.body)")
            #expect(edited.body[path: ["chunk", "content"]] == "Rotate the TLS certificates every ninety days.")
            #expect(edited.body[path: ["chunk", "tokens"]]?.numberValue ?? 0 > 5 && edited.body[path: ["chunk", "id"]]?.numberValue != Double(first))
            let after = try await server.admin(.GET, "/admin/datasets/ops/documents/runbooks%2Fguide.md/chunks")
            #expect(after.body[path: ["data", "2", "content"]] == third[path: ["content"]], "other chunks are kept")

            let search = { (version: Int) in
                try await server.admin(
                    .POST, "/admin/datasets/ops/search", body: #"{"query": "how often are certificates rotated", "mode": "semantic", "top_k": 1, "version": \#(version)}"#)
            }
            #expect(try await search(2).body[path: ["records", "0", "content"]] == "Rotate the TLS certificates every ninety days.")
            #expect(try await search(1).body[path: ["records", "0", "content"]] != "Rotate the TLS certificates every ninety days.", "version 1 is unchanged")

            let stale = try await server.admin(.PUT, "/admin/datasets/ops/documents/runbooks%2Fguide.md/chunks/\(first)", body: #"{"content": "x"}"#)
            #expect(stale.status == 404 && stale.body[path: ["message"]]?.stringValue?.contains("an edit gives the chunk a new id") == true)
            let blank = try await server.admin(.PUT, "/admin/datasets/ops/documents/runbooks%2Fguide.md/chunks/\(first)", body: #"{"content": "  "}"#)
            #expect(blank.status == 400)
            #expect(try await server.admin(.GET, "/admin/datasets/ops/documents/ghost.md/chunks").status == 404)
            #expect(try await server.admin(.GET, "/admin/datasets/ops").body[path: ["latest_version"]] == 2, "refused edits committed nothing")
        }
    }

    @Test func badUploadsAndUnknownModelsAreRefusedClearly() async throws {
        try await Self.withServer(configure: { $0.maxUploadBytes = 1000 }) { server in
            let unknown = try await server.admin(.POST, "/admin/datasets", body: #"{"name": "big", "embedding_model": "e5-large"}"#)
            #expect(unknown.status == 400 && unknown.body[path: ["code"]] == "model_unavailable")
            #expect(try await server.admin(.POST, "/admin/datasets", body: #"{"name": "ops"}"#).status == 201)
            #expect(try await server.admin(.POST, "/admin/datasets", body: #"{"name": "ops"}"#).status == 409)

            let binary = try await server.admin(.POST, "/admin/datasets/ops/documents?file=photo.txt", body: "\u{0}\u{1}PNG", contentType: "application/octet-stream")
            #expect(binary.status == 422 && binary.body[path: ["code"]] == "invalid_document")
            #expect(binary.body[path: ["message"]] == "photo.txt: the file is binary, not text; convert it to .txt, .md, .html or .pdf first")
            let csv = try await server.admin(.POST, "/admin/datasets/ops/documents?file=faq.csv&text_columns=answer", body: "question\nWhy?\n")
            #expect(csv.status == 422 && csv.body[path: ["message"]] == "faq.csv:2: no column 'answer' in this row")
            let large = try await server.admin(.POST, "/admin/datasets/ops/documents?file=big.txt", body: String(repeating: "word ", count: 400))
            #expect(large.status == 413)
            let staged = try await server.admin(.POST, "/admin/datasets/ops/uploads?file=big.txt", body: String(repeating: "word ", count: 400))
            #expect(staged.status == 413)
            for try await left in try await server.store.client.query("SELECT count(*)::int FROM dataset_uploads").decode(Int.self) {
                #expect(left == 0, "an upload refused midway keeps nothing")
            }
            let missing = try await server.admin(.POST, "/admin/datasets/nope/documents?file=a.txt", body: "text")
            #expect(missing.status == 404)
            #expect(try await server.admin(.GET, "/admin/datasets/ops").body[path: ["latest_version"]] == 0, "nothing was stored")
        }
    }
}

/// `loom datasets …` as a process against a live server with an embedding worker.
@Suite(.serialized) struct DatasetCLITests {
    @Test func createImportAFolderAsOneVersionSearchAndDiff() async throws {
        try await DatasetAPITests.withServer { server in
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder.appendingPathComponent("notes"), withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            try DatasetImporterTests.guide.write(to: folder.appendingPathComponent("notes/guide.md"), atomically: true, encoding: .utf8)
            try "Holidays are twenty-five days a year.".write(to: folder.appendingPathComponent("notes/hr.txt"), atomically: true, encoding: .utf8)
            try "ignored".write(to: folder.appendingPathComponent("notes/image.bmp"), atomically: true, encoding: .utf8)
            let environment = ["LOOM_SERVER": server.baseURL, "LOOM_TOKEN": ServerHarness.adminToken, "LOOM_HOME": "/nonexistent"]
            let loom = { (arguments: [String]) in try await LoomProcess.run(arguments, environment: environment, directory: folder.path) }

            let create = try await loom(["datasets", "create", "notes", "--chunk-tokens", "60", "--overlap", "10"])
            #expect(create.status == 0 && create.stdout.contains("created dataset notes: minilm-l6 (384 dimensions)"), "\(create.stderr)")
            let imported = try await loom(["datasets", "import", "notes", "notes"])
            #expect(imported.status == 0, "\(imported.stderr)")
            #expect(imported.stdout.contains("documents 2/2 · chunks 4"), "\(imported.stdout)")
            #expect(imported.stdout.contains("2 files: 2 documents (2 new or changed, 0 unchanged), 4 chunks in"))
            #expect(imported.stdout.hasSuffix("notes is at version 1\n"))
            let again = try await loom(["datasets", "import", "notes", "notes/hr.txt"])
            #expect(again.stdout.contains("(0 new or changed, 1 unchanged)") && again.stdout.hasSuffix("notes is at version 1\n"))
            let jobs = try JSONDocumentReader.parse(try await loom(["datasets", "import", "notes", "notes/hr.txt", "--json"]).stdout).value
            #expect(jobs[path: ["status"]] == "done" && jobs[path: ["result", "version"]] == 1)

            let search = try await loom(["datasets", "search", "notes", "how many holidays do I get", "--mode", "semantic", "--top-k", "1"])
            #expect(search.stdout.contains("notes/hr.txt (v1)") && search.stdout.contains("twenty-five days"), "\(search.stdout)")

            try "Holidays are thirty days a year.".write(to: folder.appendingPathComponent("notes/hr.txt"), atomically: true, encoding: .utf8)
            _ = try await loom(["datasets", "import", "notes", "notes/hr.txt"])
            let diff = try await loom(["datasets", "diff", "notes", "1", "2"])
            #expect(diff.stdout == "~ notes/hr.txt\n")
            let exported = try await loom(["datasets", "export", "notes", "--version", "1", "--no-embeddings"]).stdout.split(separator: "\n")
            let rows = try exported.map { try JSONDocumentReader.parse(String($0)).value }
            #expect(rows.map { $0[path: ["document"]]?.text ?? "" } == ["notes/guide.md", "notes/guide.md", "notes/guide.md", "notes/hr.txt"])
            #expect(rows.last?[path: ["content"]] == "Holidays are twenty-five days a year." && rows.last?[path: ["embedding"]] == nil)
            let withVectors = try JSONDocumentReader.parse(String(try await loom(["datasets", "export", "notes"]).stdout.split(separator: "\n")[3])).value
            #expect(withVectors[path: ["embedding"]]?.arrayValue?.count == 384 && withVectors[path: ["version"]] == 2)
            let versions = try await loom(["datasets", "versions", "notes"])
            #expect(versions.stdout.split(separator: "\n").count == 3)

            let removed = try await loom(["datasets", "remove", "notes", "notes/hr.txt"])
            #expect(removed.stdout == "removed notes/hr.txt: dataset notes is at version 3\n", "\(removed.stderr)")
            #expect(try await loom(["datasets", "diff", "notes", "2", "3"]).stdout == "- notes/hr.txt\n")
            let gone = try await loom(["datasets", "remove", "notes", "notes/hr.txt"])
            #expect(gone.status != 0 && gone.stderr.contains("has no document 'notes/hr.txt'"), "\(gone.stderr)")
            let rolledBack = try await loom(["datasets", "rollback", "notes", "--version", "1"])
            #expect(rolledBack.stdout.hasPrefix("dataset notes is at version 4"), "\(rolledBack.stderr)")
            #expect(try await loom(["datasets", "diff", "notes", "1", "4"]).stdout == "", "version 4 holds what version 1 held")
            let back = try await loom(["datasets", "search", "notes", "how many holidays do I get", "--mode", "semantic", "--top-k", "1"])
            #expect(back.stdout.contains("twenty-five days"), "\(back.stdout)")
            let notEarlier = try await loom(["datasets", "rollback", "notes", "--version", "4"])
            #expect(notEarlier.status != 0 && notEarlier.stderr.contains("is not earlier than its latest (4)"), "\(notEarlier.stderr)")
            let missing = try await loom(["datasets", "search", "ghost", "x"])
            #expect(missing.status != 0 && missing.stderr.contains("no dataset 'ghost'"))
        }
    }
}

/// Dify's knowledge API with a dataset key, on a live server whose import jobs run as they would in production.
@Suite(.serialized) struct KnowledgeAPITests {
    @Test func aDifyClientCreatesADatasetAddsTextFollowsTheBatchAndRetrieves() async throws {
        try await DatasetAPITests.withServer { server in
            let created = try await server.admin(.POST, "/admin/dataset-keys", body: #"{"name": "dify"}"#)
            let key = try #require(created.body[path: ["key"]]?.stringValue)
            #expect(key.hasPrefix("dataset-") && created.body[path: ["app"]] == "datasets")

            let dataset = try await server.request(.POST, "/v1/datasets", token: key, body: #"{"name": "handbook"}"#)
            #expect(dataset.status == 200 && dataset.body[path: ["id"]] == "handbook" && dataset.body[path: ["document_count"]] == 0)
            let text = "Employees get twenty-five days of paid holiday each year. Sick leave is separate."
            let added = try await server.request(
                .POST, "/v1/datasets/handbook/document/create-by-text", token: key, body: JSONWriter.string(["name": "Leave policy", "text": .string(text)]))
            #expect(added.body[path: ["document", "name"]] == "Leave policy")
            let batch = try #require(added.body[path: ["batch"]]?.stringValue)
            var status = ""
            for _ in 0..<100 where status != "completed" && status != "error" {
                try await Task.sleep(for: .milliseconds(200))
                let progress = try await server.request(.GET, "/v1/datasets/handbook/documents/\(batch)/indexing-status", token: key)
                status = progress.body[path: ["data", "0", "indexing_status"]]?.stringValue ?? ""
            }
            #expect(status == "completed")
            let documents = try await server.request(.GET, "/v1/datasets/handbook/documents", token: key)
            #expect(documents.body[path: ["data", "0", "name"]] == "Leave policy" && documents.body[path: ["total"]] == 1)

            let retrieved = try await server.request(
                .POST, "/v1/datasets/handbook/retrieve", token: key,
                body: #"{"query": "How many vacation days?", "retrieval_model": {"search_method": "semantic_search", "top_k": 2}}"#)
            #expect(retrieved.body[path: ["records", "0", "segment", "content"]]?.stringValue == text)
            #expect(retrieved.body[path: ["records", "0", "segment", "document", "name"]] == "Leave policy")
            let list = try await server.request(.GET, "/v1/datasets?page=1&limit=10", token: key)
            #expect(list.body[path: ["total"]] == 1 && list.body[path: ["data", "0", "document_count"]] == 1)
        }
    }

    /// A multipart body as Dify's clients send it.
    static func multipart(_ parts: [(name: String, filename: String?, content: String)], boundary: String = "loom-boundary-7") -> String {
        parts.map { part in
            "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\"" + (part.filename.map { "; filename=\"\($0)\"" } ?? "")
                + "\r\n\r\n\(part.content)\r\n"
        }.joined() + "--\(boundary)--\r\n"
    }

    @Test func aDifyClientUploadsAFileEditsAChunkAndDeletesTheDocument() async throws {
        try await DatasetAPITests.withServer { server in
            let key = try #require(try await server.admin(.POST, "/admin/dataset-keys", body: "{}").body[path: ["key"]]?.stringValue)
            #expect(try await server.request(.POST, "/v1/datasets", token: key, body: #"{"name": "handbook"}"#).status == 200)
            let form = "multipart/form-data; boundary=loom-boundary-7"
            let file = "# Leave\n\nEmployees get twenty-five days of paid holiday each year.\n\n# Expenses\n\nReceipts go to finance within a month.\n"
            let body = Self.multipart([
                ("data", nil, #"{"indexing_technique": "high_quality", "process_rule": {"mode": "automatic"}}"#), ("file", "policies.md", file),
            ])
            let added = try await server.request(.POST, "/v1/datasets/handbook/document/create_by_file", token: key, body: body, contentType: form)
            #expect(added.status == 200 && added.body[path: ["document", "id"]] == "policies.md", "\(added.body)")
            let batch = try #require(added.body[path: ["batch"]]?.stringValue)
            var status = ""
            for _ in 0..<100 where status != "completed" && status != "error" {
                try await Task.sleep(for: .milliseconds(200))
                status = try await server.request(.GET, "/v1/datasets/handbook/documents/\(batch)/indexing-status", token: key)
                    .body[path: ["data", "0", "indexing_status"]]?.stringValue ?? ""
            }
            #expect(status == "completed")
            #expect(try await server.request(.GET, "/v1/datasets/handbook", token: key).body[path: ["document_count"]] == 1)

            let segments = try await server.request(.GET, "/v1/datasets/handbook/documents/policies.md/segments", token: key)
            #expect(segments.body[path: ["total"]] == 2 && segments.body[path: ["doc_form"]] == "text_model", "\(segments.body)")
            let leave = try #require(segments.body[path: ["data", "0", "id"]]?.stringValue)
            #expect(segments.body[path: ["data", "0", "content"]]?.stringValue?.contains("twenty-five days") == true)
            let updated = try await server.request(
                .POST, "/v1/datasets/handbook/documents/policies.md/segments/\(leave)", token: key,
                body: #"{"segment": {"content": "Employees get thirty days of paid holiday each year."}}"#)
            #expect(updated.status == 200 && updated.body[path: ["data", "content"]] == "Employees get thirty days of paid holiday each year.")
            #expect(updated.body[path: ["data", "id"]]?.stringValue != leave && updated.body[path: ["data", "position"]] == 1)
            let retrieved = try await server.request(
                .POST, "/v1/datasets/handbook/retrieve", token: key, body: #"{"query": "How many holiday days?", "retrieval_model": {"top_k": 1}}"#)
            #expect(retrieved.body[path: ["records", "0", "segment", "content"]] == "Employees get thirty days of paid holiday each year.")

            #expect(try await server.request(.DELETE, "/v1/datasets/handbook/documents/policies.md", token: key).status == 204)
            #expect(try await server.request(.GET, "/v1/datasets/handbook/documents", token: key).body[path: ["total"]] == 0)
            #expect(try await server.request(.GET, "/v1/datasets/handbook/documents/policies.md/segments", token: key).status == 404)
            #expect(try await server.request(.DELETE, "/v1/datasets/handbook/documents/policies.md", token: key).status == 404)
            let versions = try await server.admin(.GET, "/admin/datasets/handbook/versions")
            #expect(versions.body[path: ["data"]]?.arrayValue?.map { $0[path: ["message"]]?.stringValue ?? "" }
                == ["create-by-file policies.md", "edit chunk 1 of policies.md", "remove policies.md"])
        }
    }

    @Test func badMultipartUploadsAreRefusedWithWhatIsWrong() async throws {
        try await DatasetAPITests.withServer { server in
            #expect(try await server.admin(.POST, "/v1/datasets", body: #"{"name": "handbook"}"#).status == 200)
            let form = "multipart/form-data; boundary=loom-boundary-7"
            let send = { (body: String, type: String) in
                try await server.admin(.POST, "/v1/datasets/handbook/document/create-by-file", body: body, contentType: type)
            }
            let notMultipart = try await send("{}", "application/json")
            #expect(notMultipart.status == 400 && notMultipart.body[path: ["message"]]?.stringValue?.contains("multipart/form-data") == true)
            let cut = try await send("--loom-boundary-7\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nhalf a fi", form)
            #expect(cut.status == 400 && cut.body[path: ["message"]]?.stringValue?.contains("the closing boundary is missing") == true, "\(cut.body)")
            let noFile = try await send(Self.multipart([("data", nil, "{}")]), form)
            #expect(noFile.status == 400 && noFile.body[path: ["message"]] == "a 'file' part with a filename is required")
            let empty = try await send(Self.multipart([("file", "empty.txt", "")]), form)
            #expect(empty.status == 400 && empty.body[path: ["message"]] == "'empty.txt' is empty")
            let badData = try await send(Self.multipart([("data", nil, "[1"), ("file", "a.txt", "text")]), form)
            #expect(badData.status == 400 && badData.body[path: ["message"]] == "the 'data' part must be a JSON object")
            #expect(try await server.admin(.GET, "/admin/jobs?dataset=handbook").body[path: ["data"]]?.arrayValue?.isEmpty == true, "nothing was queued")
        }
    }

    @Test func onlyALiveDatasetKeyOpensTheKnowledgeAPI() async throws {
        try await DatasetAPITests.withServer { server in
            let appKey = try await server.publish("app: echo\nnodes:\n  - {id: done, type: end}\n")
            #expect(try await server.request(.GET, "/v1/datasets", token: appKey).status == 403)
            #expect(try await server.request(.GET, "/v1/datasets", token: "dataset-made-up").status == 401)
            #expect(try await server.request(.GET, "/v1/datasets").status == 401)
            let created = try await server.admin(.POST, "/admin/dataset-keys", body: "{}")
            let key = try #require(created.body[path: ["key"]]?.stringValue)
            #expect(try await server.request(.GET, "/v1/datasets", token: key).status == 200)
            #expect(try await server.request(.POST, "/v1/workflows/run", token: key, body: #"{"inputs": {}}"#).status == 401, "a dataset key opens no app")
            let id = try #require(created.body[path: ["id"]]?.stringValue)
            #expect(try await server.admin(.DELETE, "/admin/keys/\(id)").status == 204)
            #expect(try await server.request(.GET, "/v1/datasets", token: key).status == 401, "revoked on the next request")
            let bad = try await server.request(
                .POST, "/v1/datasets", token: ServerHarness.adminToken, body: #"{"name": "Handbook With Spaces"}"#)
            #expect(bad.status == 400 && bad.body[path: ["message"]]?.stringValue?.contains("is not a dataset name") == true)
        }
    }
}
