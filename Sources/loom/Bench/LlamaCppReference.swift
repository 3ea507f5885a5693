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
        var longContextDecode: Double
    }

    let python: String

    static func prepare(scratch: String) async throws -> LlamaCppReference {
        guard FileManager.default.fileExists(atPath: script) else {
            throw EngineBenchError.reference("\(script) not found: run the benchmark from the repository root")
        }
        let python = try await ScratchPython.prepare(scratch + "/llama-venv", package: package, module: "llama_cpp", installNote: " (builds llama.cpp; ~15 minutes)")
        return LlamaCppReference(python: python)
    }

    func measure(model: String, threads: Int, repeats: Int, longContext: Int) async throws -> Figures {
        let output = try await Shell.run([
            python, Self.script, "--model", model, "--threads", String(threads), "--repeats", String(repeats), "--long-prompt-tokens", String(longContext),
        ])
        guard let line = output.split(separator: "\n").last, let object = try? JSONDocumentReader.parse(String(line)).value,
            let prefill = object[path: ["prefill_tokens_per_s"]]?.numberValue, let decode = object[path: ["decode_tokens_per_s"]]?.numberValue,
            let longDecode = object[path: ["long_decode_tokens_per_s"]]?.numberValue
        else {
            throw EngineBenchError.reference("unexpected output from \(Self.script): \(output.suffix(300))")
        }
        return Figures(version: object[path: ["version"]]?.stringValue ?? "?", prefill: prefill, decode: decode, longContextDecode: longDecode)
    }
}
