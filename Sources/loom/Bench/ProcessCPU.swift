import Foundation

/// CPU time (user + system) from `/proc`: how a benchmark's load divides between Loom and PostgreSQL.
enum ProcessCPU {
    /// This process's CPU seconds so far.
    static func ownSeconds() -> Double {
        seconds(pid: getpid()) ?? 0
    }

    /// The CPU seconds of each of a cluster's processes (its postmaster and every process it started, read from
    /// `DIRECTORY/data/postmaster.pid`); nil when the cluster is not running here.
    static func clusterSeconds(directory: String) -> [pid_t: Double]? {
        guard let text = try? String(contentsOfFile: directory + "/data/postmaster.pid", encoding: .utf8),
            let line = text.split(separator: "\n").first, let postmaster = pid_t(line.trimmingCharacters(in: .whitespaces)),
            let own = seconds(pid: postmaster)
        else { return nil }
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { pid_t($0) } ?? []
        return ids.reduce(into: [postmaster: own]) { processes, id in
            guard let fields = statFields(id), fields.count > 12, pid_t(fields[1]) == postmaster, let used = seconds(fields) else { return }
            processes[id] = used
        }
    }

    /// What this process and a cluster's processes have used so far.
    struct Reading {
        var own: Double
        var cluster: [pid_t: Double]?

        init(clusterDirectory: String?) {
            own = ProcessCPU.ownSeconds()
            cluster = clusterDirectory.flatMap(ProcessCPU.clusterSeconds)
        }

        /// CPU seconds used since `earlier`. A cluster process that started since counts whole; one that ended since
        /// is missed (its last reading would count against the others): a benchmark's connections live through the
        /// span it measures, while those of the reference before it may still be ending as it begins.
        func used(since earlier: Reading) -> (own: Double, cluster: Double?) {
            let cluster = self.cluster.flatMap { now in
                earlier.cluster.map { before in now.reduce(0) { $0 + $1.value - (before[$1.key] ?? 0) } }
            }
            return (own - earlier.own, cluster)
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
