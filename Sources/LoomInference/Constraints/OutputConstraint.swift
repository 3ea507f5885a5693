/// What a constrained request's output must be: a grammar, over the vocabulary of the model that generates it.
public struct OutputConstraint: Sendable {
    public let grammar: JSONGrammar
    public let vocabulary: ConstraintVocabulary

    public init(grammar: JSONGrammar, vocabulary: ConstraintVocabulary) {
        self.grammar = grammar
        self.vocabulary = vocabulary
    }
}
