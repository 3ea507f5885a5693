/// What a dataset holds: documents cut into chunks to search (`knowledge`), or training records (`samples`).
public enum DatasetKind: String, Sendable, CaseIterable, Codable {
    case knowledge, samples
}

/// A dataset as the loader checks a workflow against it: nodes may only name datasets that exist, of their kind.
public struct KnownDataset: Sendable, Equatable {
    public var kind: DatasetKind
    public var latestVersion: Int

    public init(kind: DatasetKind, latestVersion: Int) {
        self.kind = kind
        self.latestVersion = latestVersion
    }
}
