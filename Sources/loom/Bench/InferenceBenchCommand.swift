import ArgumentParser
import COpenBLAS
import Foundation
import LoomInference
import LoomWorkflow

struct InferenceBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inference",
        abstract: "Prefill, single-stream and 8-stream decode, and embeddings of the bundled models on 1 and 2 threads, next to llama.cpp and this machine's ceilings.")

    @OptionGroup var threads: ThreadCountsOption

    @Option(help: "Best of this many repeats per figure.")
    var repeats = 3

    @Flag(help: "Skip llama.cpp (the benchmark installs llama-cpp-python into a scratch virtual environment; the first build takes ~15 minutes).")
    var skipReference = false

    @Option(help: "Where the scratch virtual environment for the reference lives.")
    var scratch = ".loom/bench"

    static let promptTokens = 512
    static let decodeTokens = 128
    static let longContext = 1000
    static let streams = 8
    static let passageTokens = 128
    static let passages = 64

    func run() async throws {
        BenchBuild.warnIfDebug()
        let threadCounts = try threads.counts()
        let (registry, chatEntry) = try LocalModels.entry("smollm2-135m", kind: .chat)
        let model = try LlamaModel(path: registry.location(of: chatEntry))
        let (_, embeddingEntry) = try LocalModels.entry("minilm-l6", kind: .embedding)

        let bytesPerToken = model.bytesReadPerToken
        var rows: [[String]] = []
        var notes: [String] = []
        for count in threadCounts {
            let pool = ComputePool(threads: count)
            let encoder = try BertEncoder(directory: registry.location(of: embeddingEntry), pool: pool)
            let figures = InferenceBenchFigures(model: model, encoder: encoder, pool: pool, repeats: repeats)
            let prefill = figures.prefillTokensPerSecond(Self.promptTokens)
            let (single, constrained, batched) = await figures.decodeFigures(
                streams: Self.streams, tokens: Self.decodeTokens, constraint: try Self.jsonConstraint(model))
            let longDecode = await figures.longContextDecode(context: Self.longContext, tokens: Self.decodeTokens)
            let weightsGain = figures.weightPassGain(vectors: Self.streams)
            let bandwidth = figures.readBandwidth()
            let (embeddings, gflops) = figures.embeddingFigures(count: Self.passages, tokens: Self.passageTokens)
            let ceiling = gflops * 1e9 / figures.passageFLOPs(tokens: Self.passageTokens)
            var reference: LlamaCppReference.Figures?
            if !skipReference {
                do {
                    reference = try await LlamaCppReference.prepare(scratch: scratch).measure(model: registry.location(of: chatEntry), threads: count, repeats: repeats, longContext: Self.longContext)
                    if let version = reference?.version, !notes.contains(where: { $0.hasPrefix("llama.cpp") }) {
                        notes.append("llama.cpp: llama-cpp-python \(version), same GGUF, same prompt tokens, best of \(repeats)")
                    }
                } catch {
                    notes.append("llama.cpp unavailable on \(count) thread(s): \(error)")
                }
            }
            rows.append([
                String(count), Self.format(prefill), reference.map { Self.format($0.prefill) } ?? "–", Self.format(single),
                reference.map { Self.format($0.decode) } ?? "–", reference.map { Self.ratio(single, $0.decode) } ?? "–", Self.format(longDecode),
                reference.map { Self.format($0.longContextDecode) } ?? "–", Self.format(bandwidth),
                Self.format(bandwidth * 1e9 / Double(bytesPerToken)), Self.format(constrained),
                Self.ratio(constrained, single), Self.format(batched),
                Self.ratio(batched, single), String(format: "%.2f×", weightsGain), Self.format(embeddings), Self.format(ceiling), String(format: "%.0f%%", 100 * embeddings / ceiling),
                String(format: "%.0f", gflops),
            ])
        }
        print("Inference benchmark: SmolLM2-135M-Instruct Q4_1 (\(bytesPerToken / 1_000_000) MB read per decoded token) and all-MiniLM-L6-v2, best of \(repeats)")
        print("prefill: one \(Self.promptTokens)-token prompt · decode: \(Self.decodeTokens) tokens per stream through the worker's batch scheduler · embeddings: \(Self.passages) passages of \(Self.passageTokens) tokens")
        print("decode @\(Self.longContext): the same single-stream decode after a \(Self.longContext)-token prompt (attention reads \(Self.longContext) cached positions per head on every step)")
        print("decode bandwidth ceiling: read GB/s (the row's threads summing a 256 MB buffer, measured now) ÷ \(bytesPerToken / 1_000_000) MB per token = ceiling tok/s (../shared/docs/performance.md: ≈ 250)")
        print("weights only: what the weight kernels alone gain with \(Self.streams) vectors, \(Self.streams) × (one pass over every matrix with 1 vector) ÷ (the pass with \(Self.streams)), best of 20 each, taken in turns: one vector waits on memory, eight on arithmetic")
        print("embedding ceiling: sgemm GFLOP/s measured now (\(Self.passages * Self.passageTokens)×\(384)·\(384)×1536, rows split over the threads) ÷ \(String(format: "%.2f", InferenceBenchFigures.passageFLOPs(tokens: Self.passageTokens, hidden: 384, intermediate: 1536, layers: 6) / 1e9)) GFLOP per passage")
        print("JSON: the same decode constrained to \(Self.jsonSchema) (the token mask and matcher on every step; goal ≥ 0.85× free)")
        for note in notes { print(note) }
        print("")
        print(TextTable.render(
            ["threads", "prefill tok/s", "llama.cpp", "decode tok/s", "llama.cpp", "÷ llama.cpp", "decode @\(Self.longContext)", "llama.cpp", "read GB/s", "ceiling tok/s", "JSON tok/s", "÷ free", "8-stream tok/s", "÷ single", "weights only", "passages/s", "ceiling", "of ceiling", "sgemm GFLOP/s"],
            rows))
    }

    /// A free string is the mask's most expensive state (most of the vocabulary is allowed).
    static let jsonSchema = #"{"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}"#

    static func jsonConstraint(_ model: LlamaModel) throws -> OutputConstraint {
        OutputConstraint(grammar: try JSONGrammar(try JSONSchema(json: jsonSchema)), vocabulary: model.constraintVocabulary)
    }

    static func format(_ number: Double) -> String {
        number >= 100 ? String(format: "%.0f", number) : String(format: "%.1f", number)
    }

    static func ratio(_ a: Double, _ b: Double) -> String { String(format: "%.2f×", a / b) }
}
