import Foundation
import LoomWorkflow

/// A fine-tune job as PostgreSQL records it.
public struct FineTuneJobRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case validatingFiles = "validating_files", queued, running, succeeded, failed, cancelled

        public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
    }

    public var id: String
    public var model: String
    public var dataset: String
    public var datasetVersion: Int
    public var validationDataset: String?
    public var validationVersion: Int?
    public var hyperparameters: [String: Value]
    public var suffix: String?
    public var seed: Int64
    public var status: Status
    public var fineTunedModel: String?
    /// `{code, message, param}`.
    public var error: [String: Value]?
    public var trainedTokens: Int
    public var progress: [String: Value]
    public var attempts: Int
    public var cancelRequested: Bool
    public var createdAt: Date
    public var startedAt: Date?
    public var finishedAt: Date?
}

public struct FineTuneEventRecord: Sendable, Equatable {
    public var id: Int64
    public var level: String
    public var message: String
    public var data: [String: Value]?
    public var createdAt: Date
}

public struct FineTuneCheckpointRecord: Sendable, Equatable {
    public var id: String
    public var step: Int
    public var path: String
    public var sha256: String
    public var metrics: [String: Value]
    public var createdAt: Date
}

/// What a new job is made of, once the request has been read and checked.
public struct FineTuneJobInput: Sendable {
    public var model: String
    public var dataset: DatasetRecord
    public var datasetVersion: Int
    public var validation: (dataset: DatasetRecord, version: Int)?
    public var hyperparameters: [String: Value]
    public var suffix: String?
    public var seed: Int64

    public init(
        model: String, dataset: DatasetRecord, datasetVersion: Int, validation: (dataset: DatasetRecord, version: Int)?, hyperparameters: [String: Value],
        suffix: String?, seed: Int64
    ) {
        self.model = model
        self.dataset = dataset
        self.datasetVersion = datasetVersion
        self.validation = validation
        self.hyperparameters = hyperparameters
        self.suffix = suffix
        self.seed = seed
    }
}
