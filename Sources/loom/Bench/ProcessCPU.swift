import Foundation

/// CPU time (user + system) from `/proc`: how a benchmark's load divides between Loom and PostgreSQL.
enum ProcessCPU {
    /// This process's CPU seconds so far.
    static func ownSeconds() -> Double {
        seconds(pid: getpid()) ?? 0
    }

    /// The CPU seconds of a cluster's processes (its postmaster and every process it started, read from
    /// `DIRECTORY/data/postmaster.pid`); nil when the cluster is not running here. Backends that end between two
    /// readings are missed: a benchmark's connections live through the span it measures.
    static func clusterSeconds(directory: String) -> Double? {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
            let line = text.split(separator: "\n").first, let postmaster = pid_t(line.trimmingCharacters(in: .whitespaces)),
            let own = seconds(pid: postmaster)
        else { return nil }
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        return ids.reduce(own) { total, id in
            guard let fields = statFields(id), fields.count > 12, pid_t(fields[1]) == postmaster else { return total }
            return total + (seconds(fields) ?? 0)
        }
    }

    private static func seconds(pid: pid_t) -> Double? {
        statFields(pid).flatMap(seconds)
    }

    /// utime + stime, in clock ticks in `/proc/PID/stat`.
    private static func seconds(_ fields: [Substring]) -> Double? {
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// The fields of `/proc/PID/stat` after the command name (which may hold spaces): state, ppid, …
    private static func statFields(_ pid: pid_t) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: end)...].split(separator: " ")
    }
}
