import LoomWorkflow
import Synchronization
import Testing

/// Records the query the node sends and answers with fixed chunks: the node's own job is the query it builds and
/// the outputs it makes (the search itself is tested against PostgreSQL in LoomServerTests).
final class RecordingRetriever: KnowledgeRetriever {
    let queries = Mutex<[RetrievalQuery]>([])
    let chunks: [RetrievedChunk]
    init(_ chunks: [RetrievedChunk]) { self.chunks = chunks }
    func retrieve(_ query: RetrievalQuery) async throws -> [RetrievedChunk] {
        queries.withLock { $0.append(query) }
        return chunks
    }
}

struct KnowledgeRetrievalNodeTests {
    static let yaml = """
        app: ask
        inputs: {question: {type: text, required: true}}
        nodes:
          - id: search
            type: knowledge-retrieval
            query: "about {{ inputs.question }}"
            datasets: [handbook, policies@3]
            mode: semantic
            top_k: 2
            score_threshold: 0.25
            filters: {lang: en}
            next: done
          - id: done
            type: end
            outputs: {context: "{{ search.context }}", first: "{{ search.result }}"}
        """

    @Test func theQueryIsRenderedAndTheResultsBecomeResultAndContext() async throws {
        let chunks = [
            RetrievedChunk(content: "Holidays are 25 days.", score: 0.9, dataset: "handbook", version: 2, document: "hr.md", chunkId: 7, metadata: ["lang": "en"]),
            RetrievedChunk(content: "Ask your manager first.", score: 0.5, dataset: "policies", version: 3, document: "leave.md", chunkId: 9, metadata: [:]),
        ]
        let retriever = RecordingRetriever(chunks)
        let run = try await record(try load(Self.yaml), inputs: ["question": "holidays"], knowledge: retriever)
        let query = try #require(retriever.queries.withLock { $0.first })
        #expect(query.query == "about holidays")
        #expect(query.datasets == [DatasetReference(name: "handbook"), DatasetReference(name: "policies", version: 3)])
        #expect(query.mode == .semantic && query.topK == 2 && query.scoreThreshold == 0.25 && query.filters == ["lang": "en"])
        #expect(run.result.outputs["context"] == .string("Holidays are 25 days.\n\nAsk your manager first."))
        let outcome = try #require(run.finished("search").first)
        #expect(outcome.outputs["result"]?.arrayValue?.first == chunks[0].value)
    }

    @Test func unknownDatasetsAndVersionsAreDeployErrorsWithTheirLocation() throws {
        var loader = WorkflowLoader(modelNames: ["default"])
        loader.datasets = ["handbook": KnownDataset(kind: .knowledge, latestVersion: 2), "support": KnownDataset(kind: .samples, latestVersion: 1)]
        do {
            _ = try loader.load(Self.yaml.replacingOccurrences(of: "policies@3", with: "policies"), file: "ask.yaml")
            Issue.record("an unknown dataset loaded")
        } catch {
            #expect(error.diagnostics.map(\.message) == ["unknown dataset 'policies' (knowledge datasets: handbook)"])
            #expect(error.diagnostics.first?.nodeId == "search")
        }
        do {
            _ = try loader.load(Self.yaml.replacingOccurrences(of: "policies@3", with: "handbook@5"), file: "ask.yaml")
            Issue.record("a missing version loaded")
        } catch {
            #expect(error.diagnostics.map(\.message) == ["dataset 'handbook' has no version 5 (its latest is 2)"])
        }
        do {
            _ = try loader.load(Self.yaml.replacingOccurrences(of: "policies@3", with: "support"), file: "ask.yaml")
            Issue.record("a samples dataset was accepted for retrieval")
        } catch {
            #expect(error.diagnostics.map(\.message) == ["dataset 'support' holds samples, and a knowledge-retrieval node needs a knowledge dataset"])
        }
    }

    @Test func badReferencesAndModesAreReported() {
        let messages = problems(Self.yaml.replacingOccurrences(of: "policies@3", with: "policies@x").replacingOccurrences(of: "mode: semantic", with: "mode: magic"))
            .map(\.message)
        #expect(messages.contains("'policies@x' is not a dataset reference: write NAME or NAME@VERSION"))
        #expect(messages.contains { $0.hasPrefix("unknown mode 'magic'") })
    }

    @Test func withoutARetrieverTheNodeFailsSayingWhere() async throws {
        let run = try await record(try load(Self.yaml), inputs: ["question": "x"])
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("knowledge datasets are not available") == true)
    }
}
