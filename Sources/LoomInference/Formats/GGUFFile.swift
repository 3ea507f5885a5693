/// A GGUF v3 file: its metadata and tensor table, with tensor data left in the mapping.
public struct GGUFFile: Sendable {
    public enum MetadataValue: Sendable, Equatable {
        case int(Int64)
        case uint(UInt64)
        case float(Double)
        case bool(Bool)
        case string(String)
        case array([MetadataValue])

        public var int: Int? {
            switch self {
            case .int(let value): return Int(value)
            case .uint(let value): return Int(value)
            default: return nil
            }
        }

        public var double: Double? {
            switch self {
            case .float(let value): return value
            case .int(let value): return Double(value)
            case .uint(let value): return Double(value)
            default: return nil
            }
        }

        public var string: String? {
            if case .string(let value) = self { return value }
            return nil
        }

        public var array: [MetadataValue]? {
            if case .array(let values) = self { return values }
            return nil
        }
    }

    public struct TensorInfo: Sendable {
        public var name: String
        /// Innermost first, as GGUF lists them: `[576, 1536]` is 1536 rows of 576.
        public var dimensions: [Int]
        public var type: TensorType
        /// From the start of the data section.
        public var offset: Int

        public var elementCount: Int { dimensions.reduce(1, *) }
    }

    public let file: MappedFile
    public let version: Int
    public let metadata: [String: MetadataValue]
    public let tensors: [String: TensorInfo]
    public let dataOffset: Int

    public init(path: String) throws(ModelFileError) {
        let file = try MappedFile(path: path)
        var reader = ByteReader(file: file, offset: 0)
        guard try reader.read(UInt32.self) == 0x4655_4747 else { throw ModelFileError.malformed(path, "no GGUF magic") }
        let version = Int(try reader.read(UInt32.self))
        guard version == 3 || version == 2 else { throw ModelFileError.unsupported(path, "GGUF version \(version)") }
        let tensorCount = try reader.read(UInt64.self)
        let metadataCount = try reader.read(UInt64.self)
        guard tensorCount < 1_000_000, metadataCount < 1_000_000 else { throw ModelFileError.malformed(path, "implausible counts") }
        var metadata: [String: MetadataValue] = [:]
        for _ in 0..<metadataCount {
            let key = try reader.string()
            let type = try reader.read(UInt32.self)
            metadata[key] = try Self.value(type, &reader)
        }
        var tensors: [String: TensorInfo] = [:]
        for _ in 0..<tensorCount {
            let name = try reader.string()
            let dimensionCount = Int(try reader.read(UInt32.self))
            guard dimensionCount <= 4 else { throw ModelFileError.malformed(path, "tensor \(name) has \(dimensionCount) dimensions") }
            var dimensions: [Int] = []
            for _ in 0..<dimensionCount { dimensions.append(Int(try reader.read(UInt64.self))) }
            let rawType = try reader.read(UInt32.self)
            guard let type = TensorType(ggml: rawType) else { throw ModelFileError.unsupported(path, "tensor type \(rawType) (of \(name))") }
            let offset = Int(try reader.read(UInt64.self))
            tensors[name] = TensorInfo(name: name, dimensions: dimensions, type: type, offset: offset)
        }
        let alignment = metadata["general.alignment"]?.int ?? 32
        let dataOffset = (reader.offset + alignment - 1) / alignment * alignment
        for tensor in tensors.values {
            let end = dataOffset + tensor.offset + tensor.type.bytes(for: tensor.elementCount)
            guard tensor.elementCount % tensor.type.block.values == 0, end <= file.count else {
                throw ModelFileError.malformed(path, "tensor \(tensor.name) lies outside the file")
            }
        }
        self.file = file
        self.version = version
        self.metadata = metadata
        self.tensors = tensors
        self.dataOffset = dataOffset
    }

    private static func value(_ type: UInt32, _ reader: inout ByteReader) throws(ModelFileError) -> MetadataValue {
        switch type {
        case 0: return .uint(UInt64(try reader.read(UInt8.self)))
        case 1: return .int(Int64(try reader.read(Int8.self)))
        case 2: return .uint(UInt64(try reader.read(UInt16.self)))
        case 3: return .int(Int64(try reader.read(Int16.self)))
        case 4: return .uint(UInt64(try reader.read(UInt32.self)))
        case 5: return .int(Int64(try reader.read(Int32.self)))
        case 6: return .float(Double(try reader.float()))
        case 7: return .bool(try reader.read(UInt8.self) != 0)
        case 8: return .string(try reader.string())
        case 9:
            let elementType = try reader.read(UInt32.self)
            let count = try reader.read(UInt64.self)
            guard count < 1 << 24 else { throw ModelFileError.malformed(reader.file.path, "an array of \(count) values") }
            var values: [MetadataValue] = []
            values.reserveCapacity(Int(count))
            for _ in 0..<count { values.append(try value(elementType, &reader)) }
            return .array(values)
        case 10: return .uint(try reader.read(UInt64.self))
        case 11: return .int(try reader.read(Int64.self))
        case 12: return .float(try reader.double())
        default: throw ModelFileError.malformed(reader.file.path, "metadata value type \(type)")
        }
    }

    /// A tensor's data in the mapping.
    public func data(_ name: String) throws(ModelFileError) -> (info: TensorInfo, pointer: UnsafeRawPointer) {
        guard let info = tensors[name] else { throw ModelFileError.missingTensor(file.path, name) }
        return (info, file.base + dataOffset + info.offset)
    }

    public func int(_ key: String) throws(ModelFileError) -> Int {
        guard let value = metadata[key]?.int else { throw ModelFileError.malformed(file.path, "metadata '\(key)' is missing") }
        return value
    }

    public func double(_ key: String) throws(ModelFileError) -> Double {
        guard let value = metadata[key]?.double else { throw ModelFileError.malformed(file.path, "metadata '\(key)' is missing") }
        return value
    }
}
