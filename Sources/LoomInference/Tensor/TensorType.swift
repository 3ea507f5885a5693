/// Element types of model tensors, with ggml's numbering for GGUF.
public enum TensorType: Sendable, Equatable, CustomStringConvertible {
    case f32, f16, bf16, q4_0, q4_1, q8_0

    init?(ggml: UInt32) {
        switch ggml {
        case 0: self = .f32
        case 1: self = .f16
        case 2: self = .q4_0
        case 3: self = .q4_1
        case 8: self = .q8_0
        case 30: self = .bf16
        default: return nil
        }
    }

    /// Values per block, and bytes per block.
    public var block: (values: Int, bytes: Int) {
        switch self {
        case .f32: return (1, 4)
        case .f16, .bf16: return (1, 2)
        case .q4_0: return (32, 18)
        case .q4_1: return (32, 20)
        case .q8_0: return (32, 34)
        }
    }

    /// Bytes for `count` values (a multiple of the block size).
    public func bytes(for count: Int) -> Int { count / block.values * block.bytes }

    public var description: String {
        switch self {
        case .f32: return "F32"
        case .f16: return "F16"
        case .bf16: return "BF16"
        case .q4_0: return "Q4_0"
        case .q4_1: return "Q4_1"
        case .q8_0: return "Q8_0"
        }
    }
}
