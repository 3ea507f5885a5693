import Foundation

/// Speaks the streaming chat-completions protocol of OpenAI-compatible servers, for tests of the HTTP provider
/// and of the CLI: replies are fixed pieces of text, streamed as SSE chunks.
public enum OpenAIStub {
    public static func stream(_ pieces: [String], pause: Duration = .zero, promptTokens: Int = 11, model: String = "stub") -> TestHTTPServer.Response {
        var chunks: [(pause: Duration, bytes: [UInt8])] = []
        for piece in pieces {
            let escaped = piece.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
            let event = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"\(model)\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\(escaped)\"},\"finish_reason\":null}]}\n\n"
            chunks.append((pause, Array(event.utf8)))
        }
        let finish = "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
        let usage = "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{\"prompt_tokens\":\(promptTokens),\"completion_tokens\":\(pieces.count),\"total_tokens\":\(promptTokens + pieces.count)}}\n\ndata: [DONE]\n\n"
        chunks.append((.zero, Array((finish + usage).utf8)))
        return TestHTTPServer.Response(headers: [("Content-Type", "text/event-stream")], chunks: chunks)
    }

    /// A native tool call, streamed as OpenAI does: the name first, the arguments' JSON in pieces, then the
    /// `tool_calls` finish reason.
    public static func toolCall(id: String, name: String, argumentPieces: [String]) -> TestHTTPServer.Response {
        func event(_ delta: String, finish: String = "null") -> (pause: Duration, bytes: [UInt8]) {
            (.zero, Array("data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":\(delta),\"finish_reason\":\(finish)}]}\n\n".utf8))
        }
        var chunks = [event(#"{"role":"assistant","tool_calls":[{"index":0,"id":"\#(id)","type":"function","function":{"name":"\#(name)","arguments":""}}]}"#)]
        for piece in argumentPieces {
            let escaped = piece.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            chunks.append(event(#"{"tool_calls":[{"index":0,"function":{"arguments":"\#(escaped)"}}]}"#))
        }
        chunks.append(event("{}", finish: "\"tool_calls\""))
        chunks.append((.zero, Array("data: [DONE]\n\n".utf8)))
        return TestHTTPServer.Response(headers: [("Content-Type", "text/event-stream")], chunks: chunks)
    }

    public static func error(_ status: Int, _ message: String) -> TestHTTPServer.Response {
        .json("{\"error\":{\"message\":\"\(message)\",\"type\":\"invalid_request_error\"}}", status: status)
    }
}
