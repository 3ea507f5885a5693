extension LlamaModel {
    /// One conversational turn of a training record.
    public struct TrainingTurn: Sendable {
        public var role: String
        public var content: String
        /// Whether the model learns to produce this turn (assistant turns only).
        public var trained: Bool

        public init(role: String, content: String, trained: Bool) {
            self.role = role
            self.content = content
            self.trained = trained
        }
    }

    /// A conversation as the model sees it at inference (its chat template, default system message included),
    /// with the loss on the trained turns' text and their end-of-turn token only: the prompt, the role headers
    /// and untrained turns weigh nothing.
    public func trainingExample(turns: [TrainingTurn]) -> TrainingExample {
        var tokens: [Int] = []
        var weights: [Float] = []
        func append(_ text: String, weight: Float) {
            let ids = tokenizer.encode(text)
            tokens += ids
            weights += Array(repeating: weight, count: ids.count)
        }
        if addBeginOfSequence, let beginOfSequence {
            tokens.append(beginOfSequence)
            weights.append(0)
        }
        if let system = chatTemplate.defaultSystem, turns.first?.role != "system" {
            append(chatTemplate.render([.init(role: "system", content: system)], addGenerationPrompt: false), weight: 0)
        }
        for turn in turns {
            append("<|im_start|>\(turn.role)\n", weight: 0)
            append(turn.content + "<|im_end|>", weight: turn.trained ? 1 : 0)
            append("\n", weight: 0)
        }
        return TrainingExample(tokens: tokens, weights: weights)
    }

    /// A plain prompt and completion: the loss on the completion and the end-of-sequence token.
    public func trainingExample(prompt: String, completion: String) -> TrainingExample {
        let head = encode(prompt)
        let tail = tokenizer.encode(completion) + [endOfSequence]
        return TrainingExample(tokens: head + tail, weights: Array(repeating: 0, count: head.count) + Array(repeating: 1, count: tail.count))
    }
}
