import Foundation
import Glibc
@testable import LoomStore
import Logging
import Synchronization
import Testing

@Suite struct OperationDeadlineTests {
    /// A TCP port that accepts connections (the kernel completes them into the backlog) and never answers.
    private static func silentListener() throws -> (socket: Int32, port: Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(socket, 16) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func anOperationOnADatabaseThatNeverAnswersFailsAtItsDeadline() async throws {
        let listener = try Self.silentListener()
        defer { close(listener.socket) }
        let configuration = try DatabaseURL.configuration("postgres://loom@127.0.0.1:\(listener.port)/loom?sslmode=disable")
        try await Store.with(configuration, logger: Logger(label: "loom.test"), operationTimeout: .milliseconds(300)) { store in
            // Without its deadline the operation waits for ever: the pool keeps retrying the connection. (How soon
            // the deadline is noticed is not checked: with the rest of the suite starting beside it, a 300 ms
            // deadline was seen after 2.7 s.)
            await #expect {
                try await store.ping()
            } throws: { error in
                guard case .unavailable(let message) = error as? StoreError else { return false }
                return message.contains("did not answer within")
            }
            #expect(!store.health.isAvailable)
        }
    }

    @Test func aRemovedDeadlineNeverFires() async throws {
        let deadlines = OperationDeadlines()
        let fired = Mutex<[String]>([])
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await deadlines.watch() }
            let kept = deadlines.add(.milliseconds(100)) { fired.withLock { $0.append("kept") } }
            let removed = deadlines.add(.milliseconds(100)) { fired.withLock { $0.append("removed") } }
            deadlines.remove(removed)
            // Both fall due in the same pass of the watch; the suite's other tests may delay it.
            let giveUp = ContinuousClock.now + .seconds(10)
            while fired.withLock({ $0.isEmpty }), ContinuousClock.now < giveUp { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: OperationDeadlines.tick * 2)
            #expect(fired.withLock { $0 } == ["kept"])
            deadlines.remove(kept)
            group.cancelAll()
        }
    }
}
