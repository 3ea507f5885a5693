import Foundation

/// An adapter as Hugging Face PEFT stores one: `adapter_model.safetensors` with tensors named
/// `base_model.model.model.layers.N.self_attn.q_proj.lora_A.weight` (A is `rank × in`, B `out × rank`) and
/// `adapter_config.json`. Loom serves adapters from this layout too, so an exported adapter and a served one are
/// the same files.
///
/// llama.cpp's converter reorders the rows of the query and key matrices so RoPE can turn adjacent pairs; the B
/// matrices of those two projections are reordered back (and forth, when loading) so the files fit the Hugging
/// Face model.
public enum PEFTAdapter {
    public static let weightsFile = "adapter_model.safetensors"
    public static let configurationFile = "adapter_config.json"

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(String, String)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): "cannot load the adapter at \(path): \(reason)"
            }
        }
    }

    /// Writes the adapter's two files into `directory` (created if needed), each atomically.
    public static func write(_ adapter: LoraAdapter, baseModel: String, to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var tensors: [SafetensorsWriter.Tensor] = []
        for slot in adapter.slots {
            let prefix = "base_model.model.model.layers.\(slot.layer).\(slot.target.peftName)"
            let a = Array(adapter.parameters[slot.a..<slot.a + adapter.rank * slot.columns])
            var b = Array(adapter.parameters[slot.b..<slot.b + slot.rows * adapter.rank])
            b = reorderRows(b, slot: slot, rank: adapter.rank, configuration: adapter.configuration, toHuggingFace: true)
            tensors.append(.init(name: prefix + ".lora_A.weight", shape: [adapter.rank, slot.columns], values: a))
            tensors.append(.init(name: prefix + ".lora_B.weight", shape: [slot.rows, adapter.rank], values: b))
        }
        try AtomicFile.write(SafetensorsWriter.encode(tensors, metadata: ["format": "pt"]), to: directory + "/" + weightsFile)
        let configuration: [String: Any] = [
            "peft_type": "LORA", "task_type": "CAUSAL_LM", "r": adapter.rank, "lora_alpha": adapter.alpha, "lora_dropout": 0, "bias": "none",
            "fan_in_fan_out": false, "target_modules": LoraTarget.allCases.map { String($0.peftName.split(separator: ".").last!) },
            "base_model_name_or_path": baseModel,
        ]
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: configuration, options: [.prettyPrinted, .sortedKeys]), to: directory + "/" + configurationFile)
    }

    /// Reads an adapter written by `write` (or by PEFT for the same base model, with every projection adapted).
    public static func load(from directory: String, configuration: LlamaConfiguration) throws -> LoraAdapter {
        guard let json = FileManager.default.contents(atPath: directory + "/" + configurationFile),
            let fields = try? JSONSerialization.jsonObject(with: json) as? [String: Any], let rank = fields["r"] as? Int,
            let alpha = (fields["lora_alpha"] as? NSNumber)?.floatValue
        else {
            throw LoadError.unreadable(directory, "\(configurationFile) is missing or has no r and lora_alpha")
        }
        let file = try SafetensorsFile(path: directory + "/" + weightsFile)
        var adapter = LoraAdapter(configuration: configuration, rank: rank, alpha: alpha)
        for slot in adapter.slots {
            let prefix = "base_model.model.model.layers.\(slot.layer).\(slot.target.peftName)"
            for (suffix, offset, shape) in [(".lora_A.weight", slot.a, [rank, slot.columns]), (".lora_B.weight", slot.b, [slot.rows, rank])] {
                guard let info = file.tensors[prefix + suffix], info.shape == shape, info.type == .f32 else {
                    throw LoadError.unreadable(directory, "\(prefix + suffix) is missing or not an F32 tensor of shape \(shape)")
                }
                var values = try file.vector(prefix + suffix)
                if suffix == ".lora_B.weight" {
                    values = reorderRows(values, slot: slot, rank: rank, configuration: configuration, toHuggingFace: false)
                }
                adapter.parameters.replaceSubrange(offset..<offset + values.count, with: values)
            }
        }
        return adapter
    }

    /// Within each head of the query and key projections, GGUF row 2i + j is Hugging Face row j·d/2 + i.
    static func reorderRows(_ b: [Float], slot: LoraAdapter.Slot, rank: Int, configuration c: LlamaConfiguration, toHuggingFace: Bool) -> [Float] {
        guard slot.target == .query || slot.target == .key else { return b }
        let d = c.headDimension
        var result = b
        for head in 0..<slot.rows / d {
            for i in 0..<d / 2 {
                for j in 0..<2 {
                    let gguf = head * d + 2 * i + j
                    let huggingFace = head * d + j * d / 2 + i
                    let (from, to) = toHuggingFace ? (gguf, huggingFace) : (huggingFace, gguf)
                    result.replaceSubrange(to * rank..<(to + 1) * rank, with: b[from * rank..<(from + 1) * rank])
                }
            }
        }
        return result
    }
}
