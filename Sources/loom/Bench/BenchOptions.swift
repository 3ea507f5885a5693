import ArgumentParser

/// What every benchmark says when its figures would be meaningless: they come from release builds only.
enum BenchBuild {
    static func warnIfDebug() {
        #if DEBUG
            print("warning: this is a debug build; figures are only meaningful from `swift build -c release`")
        #endif
    }
}

/// `--threads 1,2`: the thread counts a benchmark measures side by side.
struct ThreadCountsOption: ParsableArguments {
    @Option(help: "Thread counts to measure, comma-separated.")
    var threads = "1,2"

    func counts() throws -> [Int] {
        let counts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        guard !counts.isEmpty else { throw ValidationError("--threads takes counts such as 1,2") }
        return counts
    }
}
