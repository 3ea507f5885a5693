import Foundation
import LoomInference

/// Writes a GGUF v3 file the way llama.cpp's writer lays it out (metadata, tensor table, data aligned to 32
/// bytes), so tests can build small models of their own.
struct TinyGGUF {
    enum Value {
        case uint32(UInt32)
        case float32(Float)
        case string(String)
        case strings([String])
        case int32s([Int32])
    }

    struct Tensor {
        let name: String
        /// ggml order: the row length first.
        let dimensions: [Int]
        let type: TensorType
        let bytes: [UInt8]
    }

    var metadata: [(String, Value)] = []
    var tensors: [Tensor] = []

    static func ggmlType(_ type: TensorType) -> UInt32 {
        switch type {
        case .f32: return 0
        case .f16: return 1
        case .q4_0: return 2
        case .q4_1: return 3
        case .q8_0: return 8
        case .bf16: return 30
        }
    }

    func write(to path: String) throws {
        var out: [UInt8] = []
        func integer<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        func string(_ value: String) {
            integer(UInt64(value.utf8.count))
            out += value.utf8
        }
        func align() { while out.count % 32 != 0 { out.append(0) } }
        integer(UInt32(0x4655_4747))
        integer(UInt32(3))
        integer(UInt64(tensors.count))
        integer(UInt64(metadata.count))
        for (key, value) in metadata {
            string(key)
            switch value {
            case .uint32(let v):
                integer(UInt32(4))
                integer(v)
            case .float32(let v):
                integer(UInt32(6))
                integer(v.bitPattern)
            case .string(let v):
                integer(UInt32(8))
                string(v)
            case .strings(let values):
                integer(UInt32(9))
                integer(UInt32(8))
                integer(UInt64(values.count))
                values.forEach(string)
            case .int32s(let values):
                integer(UInt32(9))
                integer(UInt32(5))
                integer(UInt64(values.count))
                values.forEach(integer)
            }
        }
        var offset = 0
        for tensor in tensors {
            string(tensor.name)
            integer(UInt32(tensor.dimensions.count))
            tensor.dimensions.forEach { integer(UInt64($0)) }
            integer(Self.ggmlType(tensor.type))
            integer(UInt64(offset))
            offset += (tensor.bytes.count + 31) / 32 * 32
        }
        align()
        for tensor in tensors {
            out += tensor.bytes
            align()
        }
        try Data(out).write(to: URL(fileURLWithPath: path))
    }
}
