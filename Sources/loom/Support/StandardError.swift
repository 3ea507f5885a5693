import Foundation
import Synchronization

/// Line-at-a-time writes to stderr from any thread (events arrive from concurrently running nodes).
enum StandardError {
    private static let lock = Mutex(())

    static func line(_ text: String) {
        lock.withLock { _ in
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }
}
