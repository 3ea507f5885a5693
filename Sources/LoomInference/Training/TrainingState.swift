import Foundation

/// Everything a training run needs to continue where it stopped: the adapter, the optimiser's moments and the
/// number of optimiser steps taken (the data order is derived from the seed and the step). A checkpoint is this
/// state encoded: "LOOMLORA", a version, a JSON header, then the parameters and both moments as little-endian
/// float32.
public struct TrainingState: Sendable, Equatable {
    public var adapter: LoraAdapter
    public var optimizer: AdamW
    public var step: Int

    public init(adapter: LoraAdapter, optimizer: AdamW, step: Int) {
        self.adapter = adapter
        self.optimizer = optimizer
        self.step = step
    }

    private struct Header: Codable {
        var rank: Int
        var alpha: Float
        var step: Int
        var optimizerSteps: Int
        var layers: Int
        var embedding: Int
        var feedForward: Int
        var heads: Int
        var kvHeads: Int
        var parameters: Int
    }

    private static let magic = Array("LOOMLORA".utf8)

    public func encoded() -> Data {
        let c = adapter.configuration
        let header = Header(
            rank: adapter.rank, alpha: adapter.alpha, step: step, optimizerSteps: optimizer.steps, layers: c.layers, embedding: c.embedding,
            feedForward: c.feedForward, heads: c.heads, kvHeads: c.kvHeads, parameters: adapter.parameters.count)
        let json = (try? JSONEncoder().encode(header)) ?? Data()
        var data = Data(Self.magic)
        withUnsafeBytes(of: UInt32(1).littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(json.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(json)
        for values in [adapter.parameters, optimizer.firstMoment, optimizer.secondMoment] {
            values.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Decodes a checkpoint for a model of `configuration`; a file for another model shape, or a damaged one, is
    /// an error that says so.
    public init(decoding data: Data, configuration: LlamaConfiguration) throws(CheckpointError) {
        let bytes = [UInt8](data)
        guard bytes.count >= 16, Array(bytes[0..<8]) == Self.magic else { throw .damaged("not a Loom LoRA checkpoint") }
        func uint32(_ offset: Int) -> Int { Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24 }
        guard uint32(8) == 1 else { throw .damaged("checkpoint format version \(uint32(8))") }
        let length = uint32(12)
        guard 16 + length <= bytes.count, let header = try? JSONDecoder().decode(Header.self, from: Data(bytes[16..<16 + length])) else {
            throw .damaged("unreadable header")
        }
        let c = configuration
        guard header.layers == c.layers, header.embedding == c.embedding, header.feedForward == c.feedForward, header.heads == c.heads,
            header.kvHeads == c.kvHeads
        else {
            throw .wrongModel("the checkpoint is for \(header.layers) layers of width \(header.embedding), the model has \(c.layers) of \(c.embedding)")
        }
        var adapter = LoraAdapter(configuration: c, rank: header.rank, alpha: header.alpha)
        let count = adapter.parameters.count
        guard header.parameters == count, bytes.count == 16 + length + 3 * count * 4 else { throw .damaged("truncated or padded data") }
        func floats(_ index: Int) -> [Float] {
            let start = 16 + length + index * count * 4
            return bytes[start..<start + count * 4].withUnsafeBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            }
        }
        adapter.parameters = floats(0)
        self.init(adapter: adapter, optimizer: AdamW(firstMoment: floats(1), secondMoment: floats(2), steps: header.optimizerSteps), step: header.step)
    }
}

public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    case damaged(String)
    case wrongModel(String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .damaged(let reason): "the checkpoint is damaged: \(reason)"
        case .wrongModel(let reason): "the checkpoint does not fit this model: \(reason)"
        case .writeFailed(let path, let reason): "could not write \(path): \(reason); the previous checkpoint is unchanged"
        }
    }
}
