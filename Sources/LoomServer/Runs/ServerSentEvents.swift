import Hummingbird
import LoomWorkflow
import NIOCore

/// An SSE response: `data: {json}` frames as the run produces them, `event: ping` every interval, and a client
/// that goes away does not take the run with it unless the server is configured to cancel.
enum ServerSentEvents {
    static func frame(_ value: Value) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeString("data: ")
        buffer.writeBytes(JSONWriter.bytes(value, sortKeys: false))
        buffer.writeString("\n\n")
        return buffer
    }

    static let ping = ByteBuffer(string: "event: ping\n\n")

    /// `produce` runs the work and sends frames through `emit`; `onDisconnect` is called if the client leaves: its
    /// connection closes, or a write fails. A client that closed its socket is noticed at the next write, so the
    /// ping interval bounds how long that takes.
    static func response(
        context: LoomRequestContext, pingInterval: Duration, metrics: ServerMetrics, onDisconnect: @escaping @Sendable () -> Void,
        produce: @escaping @Sendable (_ emit: @escaping @Sendable (Value) -> Void) async -> Void
    ) -> Response {
        let channel = context.channel
        let body = ResponseBody { writer in
            metrics.streamOpened()
            defer { metrics.streamClosed() }
            channel.closeFuture.whenComplete { _ in onDisconnect() }
            await stream(&writer, pingInterval: pingInterval, onDisconnect: onDisconnect, produce: produce)
            try? await writer.finish(nil)
        }
        return Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "keep-alive"], body: body)
    }

    private static func stream(
        _ writer: inout any ResponseBodyWriter, pingInterval: Duration, onDisconnect: @escaping @Sendable () -> Void,
        produce: @escaping @Sendable (_ emit: @escaping @Sendable (Value) -> Void) async -> Void
    ) async {
            let (frames, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await produce { continuation.yield(frame($0)) }
                    continuation.finish()
                }
                group.addTask {
                    while (try? await Task.sleep(for: pingInterval)) != nil {
                        continuation.yield(ping)
                    }
                }
                var connected = true
                for await frame in frames where connected {
                    do {
                        try await writer.write(frame)
                    } catch {
                        connected = false
                        onDisconnect()
                    }
                }
                group.cancelAll()
            }
    }
}
