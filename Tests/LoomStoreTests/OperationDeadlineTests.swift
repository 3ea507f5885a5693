import Foundation
@testable import LoomStore
import Logging
import LoomTestSupport
import Synchronization
import Testing

@Suite struct OperationDeadlineTests {
    @Test func anOperationOnADatabaseThatNeverAnswersFailsAtItsDeadline() async throws {
        let listener = try SilentListener()
        let configuration = try DatabaseURL.configuration(listener.databaseURL)
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
        withExtendedLifetime(listener) {}
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
