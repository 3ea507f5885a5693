import Foundation
import LoomWorkflow

/// Builds the command line that runs a program: the interpreter with a small driver that reads
/// `{code, inputs}` on stdin, calls `main`, and writes only its JSON result to stdout (the program's own prints
/// go to stderr). In the sandbox: bubblewrap with no network, a read-only /usr, a private /tmp and new
/// namespaces, under prlimit's CPU, memory, process and file-size limits, as an unused user when Loom runs as root.
struct CodeLauncher: Sendable {
    enum Isolation: Sendable {
        case bubblewrap(path: String)
        /// The operator allowed code to run without a sandbox (LOOM_CODE_UNSANDBOXED=1): limits only.
        case none
    }

    var isolation: Isolation
    var limits: SandboxLimits
    var interpreters: [CodeLanguage: String]
    /// The user a program runs as when Loom runs as root: each run its own, so that one program's processes do
    /// not count against another's limit.
    var sandboxUser: uid_t

    static let pythonDriver = """
        import json, sys
        data = json.loads(sys.stdin.read())
        result_stream, sys.stdout = sys.stdout, sys.stderr
        scope = {"__name__": "__loom__"}
        exec(compile(data["code"], "<code>", "exec"), scope)
        if "main" not in scope:
            raise SystemExit("the code defines no main function")
        result = scope["main"](**data["inputs"])
        try:
            text = json.dumps(result, ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise SystemExit("main returned a value that is not JSON: %s" % error)
        result_stream.write(text)
        """

    static let javascriptDriver = """
        const data = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        const log = (...parts) => process.stderr.write(parts.join(' ') + '\\n');
        console.log = log; console.info = log; console.debug = log;
        const main = new Function(data.code + '\\n;return typeof main === "function" ? main : undefined;')();
        if (!main) { process.stderr.write('the code defines no main function\\n'); process.exit(1); }
        Promise.resolve(main(data.inputs)).then(
          (result) => process.stdout.write(JSON.stringify(result === undefined ? null : result)),
          (error) => { process.stderr.write(String((error && error.stack) || error) + '\\n'); process.exit(1); });
        """

    /// The executable and its arguments.
    func command(for language: CodeLanguage) throws(CodeRunError) -> [String] {
        guard let interpreter = interpreters[language] else {
            throw .unavailable("no \(language.rawValue) interpreter is installed (set LOOM_CODE_\(language == .python3 ? "PYTHON" : "NODE") to its path)")
        }
        let program = language == .python3 ? [interpreter, "-I", "-S", "-c", Self.pythonDriver] : [interpreter, "-e", Self.javascriptDriver]
        // V8 reserves address space far beyond what it uses; its heap is capped by its own flag instead.
        if language == .javascript {
            return command(running: [program[0], "--max-old-space-size=\(limits.memoryMegabytes)"] + program.dropFirst(), capAddressSpace: false)
        }
        return command(running: program, capAddressSpace: true)
    }

    /// `program` as this launcher runs it: as the sandbox user, under the limits, inside the sandbox.
    func command(running program: [String], capAddressSpace: Bool) -> [String] {
        var command: [String] = []
        if getuid() == 0 { command = ["/usr/bin/setpriv", "--reuid=\(sandboxUser)", "--regid=\(sandboxUser)", "--clear-groups"] }
        command += [
            "/usr/bin/prlimit", "--cpu=\(limits.cpuSeconds)", "--nproc=\(processLimit())", "--fsize=\(limits.fileMegabytes << 20)", "--nofile=64",
            "--core=0",
        ]
        if capAddressSpace { command.append("--as=\(limits.memoryMegabytes << 20)") }
        command.append("--")
        switch isolation {
        case .bubblewrap(let path):
            command += [path, "--unshare-all", "--die-with-parent", "--new-session", "--ro-bind", "/usr", "/usr"]
            for link in ["bin", "sbin", "lib", "lib64", "lib32"] where Self.isUsrLink("/\(link)") {
                command += ["--symlink", "usr/\(link)", "/\(link)"]
            }
            for directory in ["/bin", "/lib", "/lib64"] where !Self.isUsrLink(directory) && FileManager.default.fileExists(atPath: directory) {
                command += ["--ro-bind", directory, directory]
            }
            if FileManager.default.fileExists(atPath: "/etc/ld.so.cache") { command += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"] }
            command += [
                "--tmpfs", "/tmp", "--proc", "/proc", "--dev", "/dev", "--remount-ro", "/", "--chdir", "/tmp", "--clearenv", "--setenv", "HOME", "/tmp",
                "--setenv", "PATH", "/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8",
            ]
        case .none:
            break
        }
        return command + program
    }

    /// As an unused user, the process count starts at zero; as Loom's own user, the limit is on top of what it
    /// already runs.
    private func processLimit() -> Int {
        getuid() == 0 ? limits.processes : ProcessTable.entries().filter { $0.user == getuid() }.reduce(0) { $0 + $1.threads } + limits.processes
    }

    private static func isUsrLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path))?.hasPrefix("usr/") == true
    }
}
