import PostgresNIO

/// Store failures with messages a user can act on.
public enum StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case unavailable(String)
    case migration(String)
    case appNotFound(String)
    case versionNotFound(app: String, version: Int)
    case nothingToRollBack(String)
    case notPublished(String)
    case keyNotFound(String)
    case conflict(String)
    case datasetNotFound(String)
    case datasetExists(String)
    case datasetVersionNotFound(dataset: String, version: Int)
    case invalidDataset(String)
    case jobNotFound(String)
    case documentNotFound(dataset: String, document: String)
    case chunkNotFound(dataset: String, document: String, chunk: Int64)
    /// Another change committed a version after the one an edit started from.
    case datasetChanged(dataset: String, expected: Int, latest: Int)
    /// A knowledge operation on a samples dataset, or the other way round.
    case wrongDatasetKind(dataset: String, kind: String, needed: String)
    case sampleNotFound(dataset: String, ids: [Int64])
    /// An edit would make a sample's record equal to another's.
    case duplicateSample(dataset: String, of: Int64)
    /// Sample records that fail validation: nothing of the batch was stored.
    case invalidSamples([SampleProblem])

    public var description: String {
        switch self {
        case .invalidConfiguration(let message), .unavailable(let message), .migration(let message), .conflict(let message):
            return message
        case .appNotFound(let app): return "no app '\(app)'"
        case .versionNotFound(let app, let version): return "app '\(app)' has no version \(version)"
        case .nothingToRollBack(let app): return "app '\(app)' has no earlier published version to roll back to"
        case .notPublished(let app): return "app '\(app)' has no published version; publish one first"
        case .keyNotFound(let id): return "no API key '\(id)'"
        case .datasetNotFound(let name): return "no dataset '\(name)'; `loom datasets create \(name)` makes one"
        case .datasetExists(let name): return "a dataset named '\(name)' already exists"
        case .datasetVersionNotFound(let name, let version): return "dataset '\(name)' has no version \(version)"
        case .invalidDataset(let message): return message
        case .jobNotFound(let id): return "no job '\(id)'"
        case .documentNotFound(let dataset, let document): return "dataset '\(dataset)' has no document '\(document)' in its latest version"
        case .chunkNotFound(let dataset, let document, let chunk):
            return "document '\(document)' of dataset '\(dataset)' has no chunk \(chunk) in the latest version (an edit gives the chunk a new id)"
        case .datasetChanged(let dataset, let expected, let latest):
            return "dataset '\(dataset)' moved from version \(expected) to \(latest) during this change; nothing was committed, try again"
        case .wrongDatasetKind(let dataset, let kind, let needed):
            return "dataset '\(dataset)' holds \(kind), and this needs a \(needed) dataset"
        case .sampleNotFound(let dataset, let ids):
            return "dataset '\(dataset)' has no sample\(ids.count == 1 ? "" : "s") \(ids.map(String.init).joined(separator: ", ")); nothing was changed"
        case .duplicateSample(let dataset, let other):
            return "the edited record is the same as sample \(other)'s in dataset '\(dataset)'; nothing was changed"
        case .invalidSamples(let problems):
            let shown = problems.prefix(20).map { "  \($0)" }.joined(separator: "\n")
            let more = problems.count > 20 ? "\n  … and \(problems.count - 20) more" : ""
            return "\(problems.count) record\(problems.count == 1 ? "" : "s") failed validation; nothing was imported:\n\(shown)\(more)"
        }
    }

    /// Turns a PostgresNIO failure into `unavailable` when the database cannot be reached, keeping the cause.
    public static func wrap(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let transaction = error as? PostgresTransactionError {
            // The transaction was rolled back; what matters is why.
            if let cause = transaction.closureError ?? transaction.beginError ?? transaction.commitError { return wrap(cause) }
        }
        if let psql = error as? PSQLError {
            switch psql.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection, .poolClosed:
                return StoreError.unavailable("the database is unreachable (\(psql.code))")
            default:
                // 57P01 admin shutdown, 57P02/57P03 crash or not yet accepting, 08xxx connection exceptions.
                let state = psql.serverInfo?[.sqlState] ?? ""
                if state.hasPrefix("57P") || state.hasPrefix("08") {
                    return StoreError.unavailable("the database is unavailable (\(psql.serverInfo?[.message] ?? state))")
                }
                return error
            }
        }
        return error
    }
}
