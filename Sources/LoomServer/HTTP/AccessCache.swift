import Foundation
import LoomStore
import Synchronization

/// What app keys open, remembered so a request does not cost a database read. Entries live at most `lifetime`;
/// revocations and app changes evict them at once on the server that made them and, through `loom_access`
/// notifications, within milliseconds on the others (and everything is dropped whenever those notifications may
/// have been missed).
final class AccessCache: Sendable {
    private struct Entry {
        var grant: KeyGrant
        var expires: ContinuousClock.Instant
    }

    private let entries = Mutex<[String: Entry]>([:])
    let lifetime: Duration

    init(lifetime: Duration = .seconds(30)) {
        self.lifetime = lifetime
    }

    func grant(hash: String) -> KeyGrant? {
        entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard entry.expires > .now else {
                entries[hash] = nil
                return nil
            }
            return entry.grant
        }
    }

    func remember(_ grant: KeyGrant, hash: String) {
        entries.withLock { $0[hash] = Entry(grant: grant, expires: .now + lifetime) }
    }

    func flush() {
        entries.withLock { $0.removeAll() }
    }

    static func keyMessage(_ id: UUID) -> String { "key:\(id.lowercasedString)" }
    static func appMessage(_ id: Int) -> String { "app:\(id)" }

    /// Applies a `loom_access` message.
    func apply(_ message: String) {
        if message.hasPrefix("key:"), let id = UUID(uuidString: String(message.dropFirst(4))) {
            entries.withLock { entries in entries = entries.filter { $0.value.grant.keyId != id } }
        } else if message.hasPrefix("app:"), let id = Int(message.dropFirst(4)) {
            entries.withLock { entries in entries = entries.filter { $0.value.grant.appId != id } }
        } else {
            flush()
        }
    }
}
