/// A trained adapter loaded for serving under its model name (`smollm2-135m:ft-support`). Requests carry it to
/// the runner, which adds its low-rank path to the steps of their sequences; steps of other sequences in the
/// same batch run on the base weights or on their own adapters. A class, so steps sharing one compare cheaply.
public final class ServedAdapter: Sendable {
    public let name: String
    public let adapter: LoraAdapter

    public init(name: String, adapter: LoraAdapter) {
        self.name = name
        self.adapter = adapter
    }
}
