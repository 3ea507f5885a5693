/// Low-rank adapters for every attention and MLP projection of a Llama: `W x + (alpha / rank) · B (A x)`, with A
/// `rank × columns` and B `rows × rank` per projection. All parameters live in one flat array, so the optimiser,
/// checkpoints and gradients treat them as one vector.
public struct LoraAdapter: Sendable, Equatable {
    public struct Slot: Sendable, Equatable {
        public let layer: Int
        public let target: LoraTarget
        public let rows: Int
        public let columns: Int
        /// Offsets of A (`rank × columns`) and B (`rows × rank`) in `parameters`.
        public let a: Int
        public let b: Int
    }

    public let configuration: LlamaConfiguration
    public let rank: Int
    public let alpha: Float
    public let slots: [Slot]
    public var parameters: [Float]

    public var scale: Float { alpha / Float(rank) }

    /// A fresh adapter as PEFT initialises one: A uniform in ±1/√columns, B zero, so it starts as the base model.
    public init(configuration: LlamaConfiguration, rank: Int, alpha: Float, seed: UInt64) {
        self.init(configuration: configuration, rank: rank, alpha: alpha)
        var generator = SplitMix64(seed: seed)
        for slot in slots {
            let bound = 1 / Float(slot.columns).squareRoot()
            for index in slot.a..<slot.a + rank * slot.columns {
                parameters[index] = Float.random(in: -bound...bound, using: &generator)
            }
        }
    }

    /// All parameters zero.
    public init(configuration: LlamaConfiguration, rank: Int, alpha: Float) {
        var slots: [Slot] = []
        var offset = 0
        for layer in 0..<configuration.layers {
            for target in LoraTarget.allCases {
                let (rows, columns) = target.shape(configuration)
                slots.append(Slot(layer: layer, target: target, rows: rows, columns: columns, a: offset, b: offset + rank * columns))
                offset += rank * (rows + columns)
            }
        }
        self.configuration = configuration
        self.rank = rank
        self.alpha = alpha
        self.slots = slots
        self.parameters = [Float](repeating: 0, count: offset)
    }

    public func slot(layer: Int, target: LoraTarget) -> Slot {
        slots[layer * LoraTarget.allCases.count + target.rawValue]
    }
}
