import Foundation
import Testing

@testable import LoomWorkflow

/// Every file in workflows/ loads, and each runs to the outputs its purpose promises.
@Suite struct ExampleWorkflowTests {
    @Test func everyExampleValidates() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: TestFiles.root.appendingPathComponent("workflows").path)
        #expect(files.count >= 5)
        for file in files { _ = try TestFiles.example(file) }
    }

    @Test func examplesTogetherUseEveryNodeType() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: TestFiles.root.appendingPathComponent("workflows").path)
        var used = Set<String>()
        func collect(_ graph: WorkflowGraph) {
            for node in graph.nodes {
                used.insert(node.type)
                if let inner = node.behavior.innerGraph { collect(inner.graph) }
            }
        }
        for file in files { collect(try TestFiles.example(file).graph) }
        // `unsupported` stands in for what an imported Dify app had and Loom lacks; nobody writes it.
        #expect(used == Set(WorkflowLoader.builtInNodeTypes.map { $0.typeName }).subtracting([UnsupportedNode.typeName]))
    }

    @Test func askLoomAnswersFromTheRetrievedPassages() async throws {
        let passage = RetrievedChunk(
            content: "Stop it with ./deploy/dev down; the data stays.", score: 0.8, dataset: "loom-docs", version: 1, document: "README.md", chunkId: 1,
            metadata: [:])
        let retriever = RecordingRetriever([passage])
        let models = ScriptedModelProvider([("Question: How do I stop Loom?", .init(chunks: ["Run ./deploy/dev down."]))])
        let run = try await record(try TestFiles.example("ask-loom.yaml"), inputs: ["question": "How do I stop Loom?"], models: models, knowledge: retriever)
        #expect(run.result.outputs == ["answer": "Run ./deploy/dev down.", "context": .string(passage.content)])
        #expect(retriever.queries.withLock { $0.map(\.datasets) } == [[DatasetReference(name: "loom-docs")]])
        #expect(models.requests.first?.messages.last?.content.contains(passage.content) == true)
        #expect(models.requests.first?.repetitionPenalty == 1.1)
    }

    @Test func helpdeskReplyKeepsTicketAndReplyForReview() async throws {
        let models = ScriptedModelProvider([("My export fails", .init(chunks: ["Check the ", "disk space."]))])
        let sink = MemorySampleSink()
        let run = try await record(try TestFiles.example("helpdesk-reply.yaml"), inputs: ["ticket": "My export fails"], models: models, samples: sink)
        #expect(run.result.outputs == ["answer": "Check the disk space.", "sample": 1])
        let sample = try #require(sink.samples.withLock { $0.first })
        #expect(sample.dataset == "support" && sample.status == .pending && sample.label == "helpdesk")
        #expect(sample.record.answer == "Check the disk space." && sample.record.question == "My export fails")
        // Without a place to keep samples the caller still gets the answer.
        let unkept = try await record(try TestFiles.example("helpdesk-reply.yaml"), inputs: ["ticket": "My export fails"], models: models)
        #expect(unkept.result.outputs["answer"] == "Check the disk space." && unkept.result.outputs["sample"] == .null)
    }

    @Test func ticketTriageSendsRefundsToBilling() async throws {
        let run = try await record(try TestFiles.example("ticket-triage.yaml"), inputs: ["ticket": "Please give my money back", "customer": "Ana"])
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs == ["reply": "Hi Ana, your refund request is with our billing team.", "route": "refund"])
    }

    @Test func ticketTriageDraftsOtherRepliesWithTheModel() async throws {
        let models = ScriptedModelProvider([("Draft a two-sentence reply", .init(chunks: ["Sorry ", "about that."]))])
        let run = try await record(try TestFiles.example("ticket-triage.yaml"), inputs: ["ticket": "The app crashes"], models: models)
        #expect(run.result.outputs == ["reply": "Sorry about that.", "route": "else"])
        let prompt = try #require(models.requests.first)
        #expect(prompt.messages.map(\.role) == [.system, .user])
        #expect(prompt.messages[1].content == "Customer there wrote:\nThe app crashes\nDraft a two-sentence reply.")
        #expect(prompt.maxTokens == 96 && prompt.temperature == 0)
    }

    @Test func ticketTriageFallsBackWhenTheModelIsDown() async throws {
        let models = ScriptedModelProvider([("Draft", .init(chunks: [], failures: 10))])
        let run = try await record(try TestFiles.example("ticket-triage.yaml"), inputs: ["ticket": "The app crashes"], models: models)
        #expect(run.result.status == .partialSucceeded)
        #expect(run.result.outputs["reply"] == "Thanks for writing in; we will get back to you shortly.")
        #expect(run.names.filter { $0 == "node_retry" }.count == 2)
    }

    @Test func supportChatExtractsBillingDetails() async throws {
        let models = ScriptedModelProvider([
            ("Classify", .init(chunks: ["billing"])),
            ("Extract these parameters", .init(chunks: ["Here you go: {\"order_id\": \"A-1042\", ", "\"amount\": \"19.90\"}"])),
        ])
        let run = try await record(try TestFiles.example("support-chat.yaml"), inputs: ["customer": "Bo"], models: models,
            context: RunContext(query: "I was charged twice for A-1042"))
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["answer"] == "Thanks Bo. I found order A-1042 (19.9 EUR) and passed it to billing.")
        #expect(run.textChunks.joined() == run.result.outputs["answer"]?.text)
    }

    @Test func supportChatAsksForAMissingOrderNumber() async throws {
        let models = ScriptedModelProvider([("Classify", .init(chunks: ["Billing"])), ("Extract", .init(chunks: ["{\"order_id\": null}"]))])
        let run = try await record(try TestFiles.example("support-chat.yaml"), models: models, context: RunContext(query: "refund please"))
        #expect(run.result.outputs["answer"] == "Could you tell me your order number, there? It looks like A-1234.")
        #expect(run.finished("extract").first?.outputs["__reason"] == "missing required parameter 'order_id'")
    }

    @Test func supportChatStreamsTechnicalAnswers() async throws {
        let models = ScriptedModelProvider([("Classify", .init(chunks: ["technical"])), ("patient support", .init(chunks: ["Try ", "restarting."]))])
        let history = [ChatMessage(.user, "hi"), ChatMessage(.assistant, "Hello!")]
        let run = try await record(try TestFiles.example("support-chat.yaml"), models: models, context: RunContext(query: "it crashes", history: history))
        #expect(run.textChunks == ["Try ", "restarting."])
        // The troubleshooting model sees the earlier turns between its system prompt and the new message.
        let prompt = try #require(models.requests.last)
        #expect(prompt.messages.map(\.content) == ["You are a patient support engineer. Answer in at most three sentences.", "hi", "Hello!", "it crashes"])
        #expect(run.result.outputs["answer"] == "Try restarting.")
    }

    @Test func supportChatApologisesWhenTheModelFails() async throws {
        let models = ScriptedModelProvider([("Classify", .init(chunks: ["technical"])), ("patient support", .init(chunks: [], failures: 5))])
        let run = try await record(try TestFiles.example("support-chat.yaml"), inputs: ["customer": "Cy"], models: models,
            context: RunContext(query: "it crashes"))
        #expect(run.result.status == .partialSucceeded)
        #expect(run.result.outputs["answer"] == "Sorry Cy, our assistant is unavailable right now; a person will reply soon.")
    }

    @Test func orderQuotePricesLinesInParallelAndTotals() async throws {
        let lines: Value = [["sku": "bolt", "qty": 10, "unit_price": 0.25], ["sku": "nut", "qty": 4, "unit_price": 1.5]]
        let run = try await record(try TestFiles.example("order-quote.yaml"), inputs: ["customer": "Acme", "lines": lines, "discount_percent": 10])
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["total"] == 7.65)
        #expect(run.result.outputs["lines"] == ["10 × bolt = 2.5", "4 × nut = 6"])
        let quote = try #require(run.result.outputs["quote"]?.text)
        #expect(quote.hasPrefix("Quote for Acme ("))
        #expect(quote.hasSuffix("- 10 × bolt = 2.5\n- 4 × nut = 6\nTotal: 7.65 EUR"))
    }

    @Test func orderQuoteWithoutLinesSaysSo() async throws {
        let run = try await record(try TestFiles.example("order-quote.yaml"), inputs: ["customer": "Acme", "lines": []])
        #expect(run.result.outputs["total"] == 0)
        #expect(run.result.outputs["quote"]?.text.contains("(no lines)") == true)
    }

    @Test func batchSummariesKeepsAPlaceForFailedDocuments() async throws {
        let models = ScriptedModelProvider([
            ("Document 0", .init(chunks: ["First."])), ("Document 1", .init(chunks: [], failures: 9)), ("Document 2", .init(chunks: ["Third."])),
        ])
        let run = try await record(try TestFiles.example("batch-summaries.json"), inputs: ["documents": ["alpha", "beta", "gamma"]], models: models)
        #expect(run.result.status == .succeeded)
        #expect(run.result.outputs["summaries"] == ["First.", nil, "Third."])
        #expect(run.result.outputs["report"] == "* First.\n* \n* Third.\n")
        #expect(models.requests.first?.messages.first?.content == "Summarise the document in at most 12 words.")
    }

    @Test func studyNotesTightensTheAnswerAndRemembersTopics() async throws {
        let long = Array(repeating: "word", count: 12).joined(separator: " ")
        let models = ScriptedModelProvider([
            ("Shorten this", .init(chunks: ["Cells divide."])),
            ("What is mitosis?", .init(chunks: [long])),
        ])
        let workflow = try TestFiles.example("study-notes.yaml")
        let context = RunContext(query: "What is mitosis?", conversationVariables: ["topics": ["cells"], "questions": 1])
        let run = try await record(workflow, inputs: ["max_words": 5], models: models, context: context)
        #expect(run.result.status == .succeeded, "\(run.result.error ?? "")")
        #expect(run.result.outputs["answer"] == "Cells divide.\n\n(Question 2 of this conversation; topics so far: 2.)")
        #expect(run.result.conversationVariables == ["topics": ["cells", "What is mitosis?"], "questions": 2])
        // One round shortened the draft; the second measured it and broke out.
        #expect(run.finished("tighten").first?.outputs["loop_round"] == 2)
        #expect(models.requests.count == 2)
    }
}
