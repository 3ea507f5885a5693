import Foundation
import LoomKnowledge
import LoomWorkflow
import Synchronization
import Testing

/// The document-extractor node with Loom's document reader: the fetch goes through the engine's HTTP service (here
/// a table of documents by URL), the text comes from the real readers (pdftotext for PDF).
@Suite struct DocumentExtractorTests {
    final class Documents: HTTPFetcher {
        let requests = Mutex<[HTTPRequestSpec]>([])
        let table: [String: (type: String, body: [UInt8])] = [
            "https://docs.example/guide.html": ("text/html; charset=utf-8", Array("<html><head><title>G</title></head><body><h1>Guide</h1><p>Step one.</p></body></html>".utf8)),
            "https://docs.example/hello.pdf": ("application/octet-stream", Array(DocumentReaderTests.helloPDF.utf8)),
            "https://docs.example/notes": ("text/markdown", Array("# Notes\nKeep it short.".utf8)),
            "https://docs.example/image.png": ("image/png", [0x89, 0x50, 0x4e, 0x47, 0, 0, 0]),
        ]

        func fetch(_ request: HTTPRequestSpec) async throws(HTTPFetchError) -> HTTPResponseData {
            requests.withLock { $0.append(request) }
            guard let document = table[request.url] else { return HTTPResponseData(status: 404, headers: [], body: []) }
            return HTTPResponseData(status: 200, headers: [("Content-Type", document.type)], body: document.body)
        }
    }

    private func run(_ file: Value, fetcher: Documents = Documents()) async throws -> RunResult {
        let workflow = try WorkflowLoader().load("""
            app: read
            inputs: {doc: json}
            nodes:
              - {id: read, type: document-extractor, file: inputs.doc, next: done}
              - {id: done, type: end, outputs: {text: "{{ read.text }}"}}
            """, file: "read.yaml")
        let engine = WorkflowEngine(services: EngineServices(http: fetcher, documents: DocumentText()))
        return try await engine.run(workflow, inputs: ["doc": file])
    }

    @Test func htmlPdfAndTextDocumentsGiveTheirText() async throws {
        let html = try await run(["transfer_method": "remote_url", "url": "https://docs.example/guide.html", "type": "document"])
        #expect(html.outputs["text"]?.text.contains("Step one.") == true)
        #expect(html.outputs["text"]?.text.contains("<p>") == false)
        let pdf = try await run(["url": "https://docs.example/hello.pdf"])
        #expect(pdf.outputs["text"] == "Hello Loom")
        let list = try await run([["url": "https://docs.example/notes"], ["remote_url": "https://docs.example/hello.pdf"]])
        #expect(list.outputs["text"] == ["# Notes\nKeep it short.", "Hello Loom"])
    }

    @Test func documentsAreFetchedUnderTheHTTPPolicyAndItsSizeLimit() async throws {
        let fetcher = Documents()
        _ = try await run(["url": "https://docs.example/notes"], fetcher: fetcher)
        let request = try #require(fetcher.requests.withLock { $0.first })
        #expect(request.allowPrivateNetworks == false)
        #expect(request.maxResponseBytes == 10 << 20)
    }

    @Test func whatCannotBeReadFailsTheNodeWithTheReason() async throws {
        let binary = try await run(["url": "https://docs.example/image.png"])
        #expect(binary.status == .failed)
        #expect(binary.error?.contains("not UTF-8 text or PDF (image/png)") == true)
        let missing = try await run(["url": "https://docs.example/gone.txt"])
        #expect(missing.error?.contains("answered HTTP 404") == true)
        let notAFile = try await run(["upload_file_id": "1234"])
        #expect(notAFile.error?.contains("must be a URL or a file object with 'url'") == true)
    }

    /// Answers every request with one brief, keeping the prompts.
    final class Briefer: ModelProvider {
        let prompts = Mutex<[String]>([])
        var modelNames: [String]? { nil }

        func chat(_ request: ChatRequest, onText: @Sendable (String) async -> Void) async throws(ModelError) -> ChatCompletion {
            prompts.withLock { $0.append(request.messages.last?.content ?? "") }
            return ChatCompletion(text: "A guide in one step.", finishReason: "stop", usage: TokenUsage())
        }
    }

    @Test func theDocumentBriefExampleBriefsAFetchedPage() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("workflows/document-brief.yaml"), encoding: .utf8)
        let workflow = try WorkflowLoader(modelNames: ["default"]).load(text, file: "workflows/document-brief.yaml")
        let model = Briefer()
        let engine = WorkflowEngine(services: EngineServices(models: model, http: Documents(), documents: DocumentText()))
        let result = try await engine.run(workflow, inputs: ["document": ["transfer_method": "remote_url", "url": "https://docs.example/guide.html"]])
        #expect(result.status == .succeeded, "\(result.error ?? "")")
        #expect(result.outputs["brief"] == "A guide in one step.")
        #expect(model.prompts.withLock { $0 }.first?.contains("Step one.") == true)
    }
}
