import Foundation

/// A safetensors file: an 8-byte header length, a JSON table of tensors, then their data — mapped, not copied.
public struct SafetensorsFile: Sendable {
    public struct TensorInfo: Sendable {
        public var name: String
        public var type: TensorType
        public var shape: [Int]
        public var start: Int
        public var end: Int
    }

    public let file: MappedFile
    public let tensors: [String: TensorInfo]
    let dataOffset: Int

    public init(path: String) throws(ModelFileError) {
        let file = try MappedFile(path: path)
        var reader = ByteReader(file: file, offset: 0)
        let headerLength = Int(try reader.read(UInt64.self))
        guard headerLength > 0, headerLength < 100 << 20 else { throw ModelFileError.malformed(path, "header of \(headerLength) bytes") }
        let header = try reader.bytes(headerLength)
        guard let table = try? JSONSerialization.jsonObject(with: Data(header)) as? [String: Any] else {
            throw ModelFileError.malformed(path, "the header is not a JSON object")
        }
        var tensors: [String: TensorInfo] = [:]
        let dataSize = file.count - 8 - headerLength
        for (name, entry) in table where name != "__metadata__" {
            guard let fields = entry as? [String: Any], let dtype = fields["dtype"] as? String, let shape = fields["shape"] as? [Int],
                let offsets = fields["data_offsets"] as? [Int], offsets.count == 2
            else {
                throw ModelFileError.malformed(path, "tensor \(name) has no dtype, shape or data_offsets")
            }
            let type: TensorType
            switch dtype {
            case "F32": type = .f32
            case "F16": type = .f16
            case "BF16": type = .bf16
            default: continue  // integer tensors (position ids) are not weights
            }
            let count = shape.reduce(1, *)
            guard offsets[0] >= 0, offsets[1] <= dataSize, offsets[1] - offsets[0] == type.bytes(for: count) else {
                throw ModelFileError.malformed(path, "tensor \(name)'s data does not match its shape")
            }
            tensors[name] = TensorInfo(name: name, type: type, shape: shape, start: offsets[0], end: offsets[1])
        }
        self.file = file
        self.tensors = tensors
        self.dataOffset = 8 + headerLength
    }

    /// A 2-D tensor as a weight matrix (`[rows, columns]`, as PyTorch stores linear layers).
    public func matrix(_ name: String) throws(ModelFileError) -> WeightMatrix {
        guard let info = tensors[name] else { throw ModelFileError.missingTensor(file.path, name) }
        let rows = info.shape.count == 2 ? info.shape[0] : 1
        let columns = info.shape.last ?? 1
        return WeightMatrix(pointer: file.base + dataOffset + info.start, type: info.type, rows: rows, columns: columns)
    }

    public func vector(_ name: String) throws(ModelFileError) -> [Float] {
        let matrix = try matrix(name)
        return (0..<matrix.rows).flatMap { matrix.rowValues($0) }
    }
}
