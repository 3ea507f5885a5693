import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LoomConnectors
import LoomWorkflow
import MCP
import Synchronization
import SystemPackage

/// An MCP server of tools.yaml, spoken to through the SDK's client — started as a process and reached on its stdin
/// and stdout, or reached at its streamable-HTTP address: its tools, listed once it answers, become Loom tools
/// `SERVER_TOOL`. A server that exits, or does not answer within its timeout, is an error naming it; calls time
/// out the same way.
public final class MCPToolServer: @unchecked Sendable {
    // `Process` is not Sendable; it is only started here and terminated by `close`. Nil for an HTTP server.
    private let process: Process?
    private let client: Client
    private let errors: Pipe?
    public let name: String
    public private(set) var tools: [any LoomWorkflow.Tool] = []

    private init(name: String, process: Process?, client: Client, errors: Pipe?) {
        self.name = name
        self.process = process
        self.client = client
        self.errors = errors
    }

    public static func launch(_ entry: ToolsFile.MCPServer) async throws(MCPToolError) -> MCPToolServer {
        guard let url = entry.url else { return try await start(entry) }
        guard let endpoint = URL(string: url) else { throw .unavailable(server: entry.name, reason: "'\(url)' is not a URL") }
        var token: String?
        if let variable = entry.bearerVariable {
            guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                throw .unavailable(server: entry.name, reason: "the variable \(variable) holding its token is not set")
            }
            token = value
        }
        let transport = HTTPClientTransport(endpoint: endpoint, streaming: false) { request in
            var request = request
            if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
            return request
        }
        return try await connect(MCPToolServer(name: entry.name, process: nil, client: Client(name: "loom", version: "1"), errors: nil), transport, entry)
    }

    /// Starts the server's process and connects to it on stdio.
    private static func start(_ entry: ToolsFile.MCPServer) async throws(MCPToolError) -> MCPToolServer {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [entry.command] + entry.arguments
        process.environment = ProcessInfo.processInfo.environment.merging(entry.environment) { _, own in own }
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw .unavailable(server: entry.name, reason: "could not start \(entry.command): \(error.localizedDescription)")
        }
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: output.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: input.fileHandleForWriting.fileDescriptor))
        return try await connect(MCPToolServer(name: entry.name, process: process, client: Client(name: "loom", version: "1"), errors: errors), transport, entry)
    }

    /// Connects and lists the server's tools; a server that cannot be is closed.
    private static func connect(_ server: MCPToolServer, _ transport: any Transport, _ entry: ToolsFile.MCPServer) async throws(MCPToolError) -> MCPToolServer {
        do {
            let listed = try await server.within(entry.timeout, doing: "start") {
                try await server.client.connect(transport: transport)
                return try await server.client.listTools().tools
            }
            server.tools = listed.map { MCPTool(server: server, remote: $0, timeout: entry.timeout) }
        } catch {
            let exit = await server.exitReason(graceful: error.isTimeout ? .zero : .seconds(3))
            await server.close()
            throw error.with(exit)
        }
        return server
    }

    /// Ends the process (and with it the client's connection). SIGKILL: a child started from this process may
    /// inherit a signal mask that blocks SIGTERM.
    public func close() async {
        await client.disconnect()
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Why the process stopped, if it did within `grace`: its status and last lines of error output. A process
    /// that closed its end of the pipe is often not yet reaped when the write fails, so a broken pipe waits for it.
    func exitReason(graceful grace: Duration) async -> String? {
        guard let process, let errors else { return nil }
        let deadline = ContinuousClock.now + grace
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard !process.isRunning else { return nil }
        process.waitUntilExit()
        let tail = String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self).split(separator: "\n").suffix(3).joined(separator: " | ")
        return "it exited with status \(process.terminationStatus)" + (tail.isEmpty ? "" : ": \(tail)")
    }

    func call(_ remote: String, arguments: [String: LoomWorkflow.Value], timeout: Duration) async throws -> LoomWorkflow.Value {
        let converted = try ValueBridge.mcp(.object(arguments)).objectValue ?? [:]
        let result = try await within(timeout, doing: "answer a call of \(remote)") {
            try await self.client.callTool(name: remote, arguments: converted)
        }
        let text = result.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined(separator: "\n")
        if result.isError == true { throw ToolError.failed(text.isEmpty ? "the MCP tool \(remote) failed" : text) }
        return (try? JSONDocumentReader.parse(text).value) ?? .string(text)
    }

    /// `operation`, or an error naming the server when it takes longer than `timeout` or its process exits first.
    /// The SDK's requests do not end on cancellation: a watchdog disconnects the client, which fails them.
    func within<T: Sendable>(_ timeout: Duration, doing what: String, _ operation: @escaping @Sendable () async throws -> T) async throws(MCPToolError) -> T {
        let name = self.name
        let gaveUp = Watchdog()
        let failure = { () -> MCPToolError in
            self.isRunning ? .timedOut(server: name, doing: what, after: timeout) : .unavailable(server: name, reason: "it stopped")
        }
        do {
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    let deadline = ContinuousClock.now + timeout
                    while ContinuousClock.now < deadline, self.isRunning {
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    gaveUp.fired.store(true, ordering: .relaxed)
                    await self.client.disconnect()
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let value = first else { throw failure() }
                return value
            }
        } catch let error as MCPToolError {
            throw error
        } catch {
            // The watchdog's disconnect fails the request it stopped: the reason is the watchdog's.
            throw gaveUp.fired.load(ordering: .relaxed) ? failure() : .unavailable(server: name, reason: String(describing: error))
        }
    }

    /// An HTTP server has no process to watch: only its timeout ends a wait.
    private var isRunning: Bool { process?.isRunning ?? true }

    /// Whether the watchdog gave up waiting.
    private final class Watchdog: Sendable {
        let fired = Atomic<Bool>(false)
    }
}

/// One tool of an MCP server as a Loom tool: its top-level input properties as parameters.
struct MCPTool: LoomWorkflow.Tool {
    let name: String
    let description: String
    let parameters: [ToolParameter]
    let remote: String
    let server: MCPToolServer
    let timeout: Duration

    init(server: MCPToolServer, remote tool: MCP.Tool, timeout: Duration) {
        name = "\(server.name)_\(tool.name)"
        description = tool.description ?? tool.name
        remote = tool.name
        self.server = server
        self.timeout = timeout
        parameters = ToolParameter.list(schema: (try? ValueBridge.loom(tool.inputSchema)) ?? .null)
    }

    func call(_ arguments: [String: LoomWorkflow.Value]) async throws -> LoomWorkflow.Value {
        do {
            return try await server.call(remote, arguments: arguments, timeout: timeout)
        } catch let error as MCPToolError {
            throw ToolError.failed(error.description)
        }
    }
}

public enum MCPToolError: Error, Sendable, CustomStringConvertible {
    case unavailable(server: String, reason: String)
    case timedOut(server: String, doing: String, after: Duration)

    public var description: String {
        switch self {
        case .unavailable(let server, let reason): return "MCP server '\(server)' is unavailable: \(reason)"
        case .timedOut(let server, let what, let after): return "MCP server '\(server)' did not \(what) within \(after.components.seconds) s"
        }
    }

    var isTimeout: Bool {
        if case .timedOut = self { return true }
        return false
    }

    /// The error with why the process stopped, when it did.
    func with(_ exit: String?) -> MCPToolError {
        guard let exit else { return self }
        switch self {
        // A stopped process is the reason; the pipe's or the watchdog's complaint only follows from it.
        case .unavailable(let server, _): return .unavailable(server: server, reason: exit)
        case .timedOut(let server, let what, let after): return .unavailable(server: server, reason: "did not \(what) within \(after.components.seconds) s; \(exit)")
        }
    }
}
