import LoomInference

/// A random matrix in a ggml block format (or F32), with the weights it stands for decoded here from the formats'
/// definitions, in Double.
struct RandomMatrix {
    let bytes: [UInt8]
    let weights: [[Double]]

    init(_ type: TensorType, rows: Int, columns: Int, generator: inout some RandomNumberGenerator) {
        var bytes: [UInt8] = []
        var weights: [[Double]] = []
        func half(_ range: ClosedRange<Float>) -> Double {
            let value = Float16(Float.random(in: range, using: &generator))
            bytes += [UInt8(value.bitPattern & 0xFF), UInt8(value.bitPattern >> 8)]
            return Double(value)
        }
        func nibbles() -> [UInt8] { (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) } }
        for _ in 0..<rows {
            var row: [Double] = []
            for _ in 0..<columns / 32 {
                switch type {
                case .q4_1:
                    let (d, m) = (half(0.001...0.05), half(-0.3...0.1))
                    let packed = nibbles()
                    bytes += packed
                    row += packed.map { Double($0 & 15) * d + m } + packed.map { Double($0 >> 4) * d + m }
                case .q4_0:
                    let d = half(0.001...0.05)
                    let packed = nibbles()
                    bytes += packed
                    row += packed.map { (Double($0 & 15) - 8) * d } + packed.map { (Double($0 >> 4) - 8) * d }
                case .q8_0:
                    let d = half(0.001...0.005)
                    let values = (0..<32).map { _ in Int8.random(in: -127...127, using: &generator) }
                    bytes += values.map { UInt8(bitPattern: $0) }
                    row += values.map { Double($0) * d }
                case .f32:
                    let values = (0..<32).map { _ in Float.random(in: -0.3...0.3, using: &generator) }
                    for value in values { bytes += withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
                    row += values.map(Double.init)
                case .f16, .bf16:
                    preconditionFailure("no random \(type) matrices")
                }
            }
            weights.append(row)
        }
        precondition(bytes.count == rows * type.bytes(for: columns))
        self.bytes = bytes
        self.weights = weights
    }
}
