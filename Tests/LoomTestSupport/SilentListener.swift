import Glibc

/// A TCP port on 127.0.0.1 that accepts connections (the kernel completes them into its backlog) and never answers:
/// a database that hangs.
public final class SilentListener: Sendable {
    private let socket: Int32
    public let port: Int

    public init() throws {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        guard bound == 0, listen(socket, 16) == 0, named == 0 else {
            close(socket)
            throw SilentListenerError.unavailable(errno)
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a client has connected (and waits, unanswered, in the backlog).
    public var hasConnection: Bool {
        var entry = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 1
    }

    /// A database URL for this port.
    public var databaseURL: String { "postgres://loom@127.0.0.1:\(port)/loom?sslmode=disable" }

    deinit { close(socket) }
}

public enum SilentListenerError: Error {
    case unavailable(Int32)
}
