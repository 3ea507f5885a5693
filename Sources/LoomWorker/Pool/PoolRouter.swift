import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import LoomWorkflow
import NIOCore
import NIOHTTP1

/// The pool's front door: the same OpenAI-compatible API as a worker, forwarded to the healthy worker with the
/// fewest requests in flight. A worker that fails before answering (refused, reset, died mid-prefill) costs the
/// caller nothing: the request goes to another worker, or waits for this one to come back, until `retryWindow`.
struct PoolRouter: Sendable {
    let slots: [WorkerSlot]
    let client: HTTPClient
    let maxBodyBytes: Int
    let retryWindow: Duration
    let logger: Logger

    func register(on router: Router<WorkerRequestContext>) {
        for path in ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"] {
            router.post(RouterPath(path)) { request, context in try await forward(request, context: context) }
        }
        router.get("/v1/models") { request, context in try await forward(request, context: context) }
        router.get("/healthz") { _, _ in health() }
    }

    func health() -> Response {
        let workers: [Value] = slots.map { slot in
            ["index": .int(slot.index), "port": .int(slot.port), "healthy": .bool(slot.isHealthy), "outstanding": .int(slot.outstanding), "restarts": .int(slot.restartCount), "pid": .int(Int(slot.pid))]
        }
        let healthy = slots.contains { $0.isHealthy }
        return WorkerJSON.response(["status": healthy ? "ok" : "unavailable", "workers": .array(workers)], status: healthy ? .ok : .serviceUnavailable)
    }

    func forward(_ request: Request, context: WorkerRequestContext) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw OpenAIError(status: .contentTooLarge, message: "The request body is over \(maxBodyBytes) bytes", type: "invalid_request_error", param: nil, code: nil)
        }
        let deadline = ContinuousClock.now + retryWindow
        var tried: Set<Int> = []
        var lastFailure = "no worker is running"
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            guard let slot = slots.leastOutstanding(excluding: tried) else {
                // Every worker is down or failed this request: wait for one to (come) back.
                if tried.count >= slots.count { tried = [] }
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            var outbound = HTTPClientRequest(url: slot.baseURL + request.uri.description)
            outbound.method = HTTPMethod(rawValue: request.method.rawValue)
            outbound.headers.add(name: "Content-Type", value: request.headers[.contentType] ?? "application/json")
            if request.method == .post { outbound.body = .bytes(body) }
            slot.begin()
            let response: HTTPClientResponse
            do {
                response = try await execute(outbound, closing: context.channel)
            } catch {
                slot.end()
                if Task.isCancelled || context.channel.isActive == false { throw CancellationError() }
                slot.markHealthy(false)
                tried.insert(slot.index)
                lastFailure = "\(error)"
                logger.warning("worker failed before answering; retrying", metadata: ["worker": "\(slot.index)", "error": "\(error)"])
                continue
            }
            return relay(response, from: slot)
        }
        throw OpenAIError(status: .serviceUnavailable, message: "No inference worker answered within \(retryWindow): \(lastFailure)", type: "server_error", param: nil, code: "workers_unavailable")
    }

    /// Sends the request; a caller whose connection closes while waiting for the head cancels it.
    private func execute(_ outbound: HTTPClientRequest, closing channel: any Channel) async throws -> HTTPClientResponse {
        let client = self.client
        let attempt = Task { try await client.execute(outbound, timeout: .minutes(30)) }
        channel.closeFuture.whenComplete { _ in attempt.cancel() }
        return try await withTaskCancellationHandler { try await attempt.value } onCancel: { attempt.cancel() }
    }

    /// Streams the worker's answer through. A worker that dies mid-stream leaves an SSE caller an error event
    /// rather than a silent end.
    private func relay(_ response: HTTPClientResponse, from slot: WorkerSlot) -> Response {
        var headers = HTTPFields()
        if let type = response.headers.first(name: "content-type") { headers[.contentType] = type }
        if let retry = response.headers.first(name: "retry-after") { headers[.retryAfter] = retry }
        let isStream = headers[.contentType]?.contains("text/event-stream") ?? false
        let logger = self.logger
        let body = ResponseBody { writer in
            defer { slot.end() }
            do {
                for try await chunk in response.body { try await writer.write(chunk) }
            } catch let error as HTTPClientError where isStream {
                logger.error("worker failed mid-stream", metadata: ["worker": "\(slot.index)", "error": "\(error)"])
                let failure = OpenAIError(status: .badGateway, message: "the inference worker stopped mid-stream: \(error)", type: "server_error", param: nil, code: "worker_failed")
                try await writer.write(WorkerController.frame(failure.body))
            }
            try await writer.finish(nil)
        }
        return Response(status: HTTPResponse.Status(code: Int(response.status.code)), headers: headers, body: body)
    }
}
