import Foundation

/// What /proc says about the machine's processes: who owns them and who started them.
enum ProcessTable {
    struct Entry {
        var pid: pid_t
        var parent: pid_t
        var user: uid_t
        var threads: Int
    }

    static func entries() -> [Entry] {
        var entries: [Entry] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(name), let text = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let close = text.lastIndex(of: ")")
            else { continue }
            var info = stat()
            guard stat("/proc/\(name)", &info) == 0 else { continue }
            // After "pid (comm)": state, parent pid, …; the thread count is the 18th field after the name.
            let fields = text[text.index(after: close)...].split(separator: " ")
            guard fields.count > 17, let parent = pid_t(fields[1]) else { continue }
            entries.append(Entry(pid: pid, parent: parent, user: info.st_uid, threads: Int(fields[17]) ?? 1))
        }
        return entries
    }

    /// A process and everything it started, as they stand now.
    static func tree(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for entry in entries() { children[entry.parent, default: []].append(entry.pid) }
        var pending = [root]
        var tree: [pid_t] = []
        while let pid = pending.popLast() {
            tree.append(pid)
            pending += children[pid] ?? []
        }
        return tree
    }
}
