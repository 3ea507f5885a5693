import Foundation
import LoomWorkflow

/// llama.cpp on the same GGUF through llama-cpp-python, installed into a scratch virtual environment by the
/// benchmark itself (pip builds llama.cpp from source: about 15 minutes the first time).
struct LlamaCppReference {
    static let package = "llama-cpp-python==0.3.16"
    static let script = "Benchmarks/inference/llama_cpp_reference.py"

    struct Figures {
        var version: String
        var prefill: Double
        var decode: Double
    }

    let python: String

    static func prepare(scratch: String) async throws -> LlamaCppReference {
        guard FileManager.default.fileExists(atPath: script) else {
            throw EngineBenchError.reference("\(script) not found: run the benchmark from the repository root")
        }
        let venv = scratch + "/llama-venv"
        let python = venv + "/bin/python"
        if !FileManager.default.fileExists(atPath: python) {
            try await Shell.run(["python3", "-m", "venv", venv])
        }
        if (try? await Shell.run([python, "-c", "import llama_cpp"])) == nil {
            print("installing \(package) into \(venv) (builds llama.cpp; ~15 minutes) …")
            try await Shell.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", package])
        }
        return LlamaCppReference(python: python)
    }

    func measure(model: String, threads: Int, repeats: Int) async throws -> Figures {
        let output = try await Shell.run([python, Self.script, "--model", model, "--threads", String(threads), "--repeats", String(repeats)])
        guard let line = output.split(separator: "\n").last, let object = try? JSONDocumentReader.parse(String(line)).value,
            let prefill = object[path: ["prefill_tokens_per_s"]]?.numberValue, let decode = object[path: ["decode_tokens_per_s"]]?.numberValue
        else {
            throw EngineBenchError.reference("unexpected output from \(Self.script): \(output.suffix(300))")
        }
        return Figures(version: object[path: ["version"]]?.stringValue ?? "?", prefill: prefill, decode: decode)
    }
}
