import Foundation
import LoomWorkflow

/// A training sample as one version of a samples dataset holds it.
public struct SampleRecord: Sendable, Equatable {
    public var id: Int64
    public var record: TrainingRecord
    public var status: SampleStatus
    public var rating: Int?
    public var label: String?
    /// `{kind: imported, file}` or the app, run and node that wrote it.
    public var source: [String: Value]
    public var sha256: String
    /// The dataset version this revision of the sample first belongs to.
    public var version: Int
    public var createdAt: Date

    public var value: Value {
        var fields: [String: Value] = [
            "id": .int(Int(id)), "record": record.value, "status": .string(status.rawValue), "source": .object(source), "sha256": .string(sha256),
            "version": .int(version), "created_at": .int(Int(createdAt.timeIntervalSince1970)),
        ]
        if let rating { fields["rating"] = .int(rating) }
        if let label { fields["label"] = .string(label) }
        return .object(fields)
    }
}

/// A sample to store.
public struct SampleInput: Sendable {
    public var record: TrainingRecord
    public var status: SampleStatus
    public var rating: Int?
    public var label: String?
    public var source: [String: Value]

    public init(record: TrainingRecord, status: SampleStatus, rating: Int? = nil, label: String? = nil, source: [String: Value]) {
        self.record = record
        self.status = status
        self.rating = rating
        self.label = label
        self.source = source
    }
}

/// What adding samples did: for each input, its sample's id and whether it was there already; and the version
/// committed (the previous latest when every input was a duplicate).
public struct SampleAddition: Sendable, Equatable {
    public var writes: [SampleWrite]
    public var version: Int

    public init(writes: [SampleWrite], version: Int) {
        self.writes = writes
        self.version = version
    }

    public var added: Int { writes.count { !$0.duplicate } }
}

/// A record that failed validation, by its line in the imported file (or its position in a request).
public struct SampleProblem: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }
}

/// A change to samples' review: any field left nil keeps its value.
public struct SampleReview: Sendable {
    public var status: SampleStatus?
    public var rating: Int??
    public var label: String??
    public var record: TrainingRecord?

    public init(status: SampleStatus? = nil, rating: Int?? = nil, label: String?? = nil, record: TrainingRecord? = nil) {
        self.status = status
        self.rating = rating
        self.label = label
        self.record = record
    }
}
