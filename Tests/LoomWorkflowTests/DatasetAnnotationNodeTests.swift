import LoomWorkflow
import Synchronization
import Testing

/// Keeps samples in memory and refuses duplicates as the store does: the node's own job is the record it builds,
/// the source it names and how it reports duplicates (the store's side is tested against PostgreSQL).
final class MemorySampleSink: SampleSink {
    let samples = Mutex<[AnnotationSample]>([])
    func write(_ sample: AnnotationSample) async throws -> SampleWrite {
        samples.withLock { samples in
            if let index = samples.firstIndex(where: { $0.record == sample.record }) { return SampleWrite(id: Int64(index + 1), duplicate: true) }
            samples.append(sample)
            return SampleWrite(id: Int64(samples.count), duplicate: false)
        }
    }
}

struct DatasetAnnotationNodeTests {
    static let yaml = """
        app: support
        inputs: {ticket: {type: text, required: true}}
        nodes:
          - id: reply
            type: template
            template: "Try turning it off and on again."
            next: keep
          - id: keep
            type: dataset-annotation
            dataset: tickets
            record:
              messages:
                - {role: system, content: "You are a helpdesk."}
                - user: "{{ inputs.ticket }}"
                - assistant: "{{ reply.output }}"
            label: helpdesk
            next: done
          - id: done
            type: end
            outputs: {id: "{{ keep.id }}", duplicate: "{{ keep.duplicate }}"}
        """

    @Test func theRenderedRecordIsWrittenWithItsRunAsSource() async throws {
        let sink = MemorySampleSink()
        let context = RunContext(runId: "run-1", appId: "support")
        let run = try await record(try load(Self.yaml), inputs: ["ticket": "My printer is on fire"], samples: sink, context: context)
        #expect(run.result.status == .succeeded)
        let sample = try #require(sink.samples.withLock { $0.first })
        #expect(sample.dataset == "tickets" && sample.status == .pending && sample.label == "helpdesk")
        #expect(sample.record == .chat([.init(.system, "You are a helpdesk."), .init(.user, "My printer is on fire"), .init(.assistant, "Try turning it off and on again.")]))
        #expect(sample.source == ["app": "support", "run": "run-1", "node": "keep"])
        #expect(run.result.outputs["id"] == .int(1))
    }

    @Test func aDuplicateRecordSucceedsAndSaysSo() async throws {
        let sink = MemorySampleSink()
        let workflow = try load(Self.yaml)
        _ = try await record(workflow, inputs: ["ticket": "Same"], samples: sink)
        let second = try await record(workflow, inputs: ["ticket": "Same"], samples: sink)
        #expect(second.result.status == .succeeded)
        #expect(second.result.outputs["duplicate"] == .bool(true))
        #expect(sink.samples.withLock { $0.count } == 1)
    }

    @Test func anEmptyRenderedTurnFailsTheNodeWithTheReason() async throws {
        let yaml = Self.yaml.replacingOccurrences(of: "template: \"Try turning it off and on again.\"", with: "template: \"\"")
        let run = try await record(try load(yaml), inputs: ["ticket": "x"], samples: MemorySampleSink())
        #expect(run.result.status == .failed)
        #expect(run.result.error?.contains("message 3 (assistant) is empty") == true)
    }

    @Test func recordShapesStatusAndDatasetKindAreCheckedAtLoad() throws {
        let noAssistant = problems(Self.yaml.replacingOccurrences(of: "        - assistant: \"{{ reply.output }}\"\n", with: ""))
        #expect(noAssistant.map(\.message).contains("'record.messages' needs a user message and must end with an assistant message"))
        let rejected = problems(Self.yaml.replacingOccurrences(of: "dataset: tickets", with: "dataset: tickets\n    status: rejected"))
        #expect(rejected.map(\.message).contains("'status' is pending or approved, not 'rejected'"))
        var loader = WorkflowLoader(modelNames: ["default"])
        loader.datasets = ["tickets": KnownDataset(kind: .knowledge, latestVersion: 1)]
        do {
            _ = try loader.load(Self.yaml, file: "support.yaml")
            Issue.record("a knowledge dataset was accepted for annotation")
        } catch {
            #expect(error.diagnostics.map(\.message) == ["dataset 'tickets' holds knowledge, and a dataset-annotation node needs a samples dataset"])
            #expect(error.diagnostics.first?.location.line == 10)
        }
    }
}

struct AnnotationSettingsTests {
    static let chat = """
        app: chat
        mode: chat
        nodes:
          - {id: answer, type: answer, answer: "hi"}
        annotations:
        """

    @Test func settingsAreReadWithDefaults() throws {
        let workflow = try load(Self.chat + " {dataset: support, reply_threshold: 0.9}\n")
        #expect(workflow.annotations == AnnotationSettings(dataset: "support", feedbackStatus: .pending, replyThreshold: 0.9))
        #expect(try load(Self.chat + " {dataset: support, feedback: off}\n").annotations?.feedbackStatus == nil)
    }

    @Test func wrongSettingsAndDatasetsAreReportedWithTheirPlace() throws {
        let messages = problems(Self.chat + " {dataset: support, feedback: maybe, reply_threshold: 2, extra: 1}\n").map(\.message)
        #expect(messages.contains("'annotations.feedback' is pending, approved or off"))
        #expect(messages.contains("'annotations.reply_threshold' is a cosine similarity between 0 and 1"))
        #expect(messages.contains { $0.hasPrefix("unknown key 'extra' in 'annotations'") })
        var loader = WorkflowLoader(modelNames: ["default"])
        loader.datasets = ["docs": KnownDataset(kind: .knowledge, latestVersion: 1)]
        for (dataset, message) in [("docs", "dataset 'docs' holds knowledge; 'annotations' needs a samples dataset"),
                                   ("nowhere", "unknown dataset 'nowhere'; create it with `loom datasets create nowhere --kind samples`")] {
            do {
                _ = try loader.load(Self.chat + " {dataset: \(dataset)}\n", file: "chat.yaml")
                Issue.record("\(dataset) was accepted")
            } catch {
                #expect(error.diagnostics.map(\.message) == [message])
            }
        }
    }
}
