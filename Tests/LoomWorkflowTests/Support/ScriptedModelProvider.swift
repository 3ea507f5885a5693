import Foundation
import LoomWorkflow
import Synchronization

/// An in-process model for engine tests: replies chosen by rules on the prompt, streamed in chunks with
/// optional delays and failures. Stands in for a model only in engine unit tests; the HTTP provider is tested
/// against a real server.
final class ScriptedModelProvider: ModelProvider {
    struct Reply: Sendable {
        var chunks: [String]
        var delay: Duration = .zero
        /// Calls that fail before one succeeds.
        var failures = 0
    }

    private let rules: [(match: String, reply: Reply)]
    private let fallback: Reply
    private let state = Mutex<(requests: [ChatRequest], calls: [String: Int], spans: [(prompt: String, start: ContinuousClock.Instant, end: ContinuousClock.Instant)])>(([], [:], []))
    let modelNames: [String]?

    init(_ rules: [(String, Reply)] = [], fallback: Reply = Reply(chunks: ["OK"]), modelNames: [String]? = ["default"]) {
        self.rules = rules
        self.fallback = fallback
        self.modelNames = modelNames
    }

    var requests: [ChatRequest] { state.withLock { $0.requests } }

    /// When each successful call ran, by prompt.
    var spans: [(prompt: String, start: ContinuousClock.Instant, end: ContinuousClock.Instant)] { state.withLock { $0.spans } }

    func chat(_ request: ChatRequest, onText: @Sendable (String) async -> Void) async throws(ModelError) -> ChatCompletion {
        if let names = modelNames, !names.contains(request.model) { throw ModelError.unknownModel(request.model, known: names) }
        let prompt = request.messages.map(\.content).joined(separator: "\n")
        let rule = rules.first { prompt.contains($0.match) }
        let reply = rule?.reply ?? fallback
        let call = state.withLock { state -> Int in
            state.requests.append(request)
            state.calls[rule?.match ?? "", default: 0] += 1
            return state.calls[rule?.match ?? ""]!
        }
        if call <= reply.failures {
            throw ModelError.unreachable(model: request.model, endpoint: "scripted", reason: "scripted failure \(call)")
        }
        let start = ContinuousClock.now
        var text = ""
        for chunk in reply.chunks {
            if reply.delay > .zero {
                do { try await Task.sleep(for: reply.delay) } catch { throw ModelError.cancelled }
            }
            text += chunk
            await onText(chunk)
        }
        state.withLock { $0.spans.append((prompt, start, .now)) }
        return ChatCompletion(text: text, finishReason: "stop", usage: TokenUsage(promptTokens: prompt.count / 4, completionTokens: reply.chunks.count))
    }
}
