import Foundation
import Logging
import LoomConnectors
import LoomKnowledge
import LoomStore
import LoomWorkflow
import ServiceLifecycle
import Synchronization

/// Runs dataset import jobs from PostgreSQL, one at a time per server: claims a job under a lease, reads its
/// uploaded files, imports them with progress written back to the job row (renewing the lease), then marks it done
/// or failed. A job whose server dies is taken over when its lease lapses, and the import resumes after the
/// documents already stored; an unreachable embedding model or database is retried a few times before failing.
struct ImportJobRunner: Service {
    static let kind = "dataset-import"

    let store: Store
    let embedder: any TextEmbedder
    let owner = UUID()
    var lease: Duration = .seconds(30)
    var poll: Duration = .seconds(1)
    var maxAttempts = 5
    /// The wait before a transient failure's next attempt, times the attempts so far.
    var retryDelay: Duration = .seconds(2)
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    if let job = try await store.jobs.claim(owner: owner, lease: lease) {
                        await process(job)
                        continue
                    }
                } catch StoreError.unavailable {
                    // The store says once that the database went away, and once that it answers again.
                } catch {
                    logger.warning("cannot claim import jobs", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: poll)
            }
        }
    }

    func process(_ job: JobRecord) async {
        let reporter = ProgressReporter(store: store, job: job.id, owner: owner, lease: lease)
        do {
            guard job.kind == Self.kind, let name = job.dataset else { throw StoreError.invalidDataset("job \(job.id) is not a dataset import") }
            let dataset = try await store.datasets.get(name)
            let ids = (job.payload["uploads"]?.arrayValue ?? []).compactMap { value -> Int64? in
                if case .int(let id) = value { return Int64(id) }
                return nil
            }
            let columns = job.payload["text_columns"]?.arrayValue?.compactMap(\.stringValue) ?? ["text"]
            let uploads = try await store.uploads.names(ids, dataset: dataset)
            let scratch = try UploadScratch()
            defer { scratch.remove() }
            var documents: [SourceDocument] = []
            for upload in uploads {
                documents += try await scratch.read(file: upload.name, columns: columns, plainText: job.payload["plain_text"] == .bool(true)) {
                    try await store.uploads.copy(upload.id, to: $0)
                }
            }
            let importer = DatasetImporter(store: store, embedder: embedder, counter: TokenCounters.counter(for: dataset.embeddingModel))
            let summary = try await importer.run(documents, into: name, message: job.payload["message"]?.stringValue ?? "") { progress in
                await reporter.report(progress)
            }
            await reporter.flush()
            try await store.jobs.finish(job.id, owner: owner, result: [
                "version": .int(summary.version), "documents": .int(documents.count), "stored": .int(summary.stored),
                "unchanged": .int(summary.unchanged), "chunks": .int(summary.chunks), "tokens": .int(summary.tokens), "seconds": .double(summary.seconds),
            ])
            try await store.uploads.delete(ids)
            logger.info("import finished", metadata: ["job": "\(job.id)", "dataset": "\(name)", "version": "\(summary.version)"])
        } catch {
            let retry = Self.isTransient(error) && job.attempts < maxAttempts
            logger.warning("import failed", metadata: ["job": "\(job.id)", "error": "\(error)", "retrying": "\(retry)"])
            // Before `fail`: a report renews the lease, which would cut the retry delay short.
            await reporter.flush()
            try? await store.jobs.fail(job.id, owner: owner, error: "\(error)", retryAfter: retry ? retryDelay * job.attempts : nil)
        }
    }
}

extension ImportJobRunner {
    /// Failures a later attempt may not meet: the embedding model or the database out of reach.
    static func isTransient(_ error: any Error) -> Bool {
        switch error {
        case let model as ModelError:
            if case .unknownModel = model { return false }
            return true
        case let store as StoreError:
            if case .unavailable = store { return true }
            return false
        default:
            return false
        }
    }
}

/// Writes an import's progress to its job at most twice a second (and renews the lease).
final class ProgressReporter: Sendable {
    let store: Store
    let job: UUID
    let owner: UUID
    let lease: Duration
    /// When progress was last written, and the newest progress seen.
    private let state = Mutex<(written: ContinuousClock.Instant?, latest: DatasetImporter.Progress?)>((nil, nil))

    init(store: Store, job: UUID, owner: UUID, lease: Duration) {
        self.store = store
        self.job = job
        self.owner = owner
        self.lease = lease
    }

    func report(_ progress: DatasetImporter.Progress) async {
        let now = ContinuousClock.now
        let due = state.withLock { state in
            state.latest = progress
            guard state.written.map({ now - $0 >= .milliseconds(500) }) ?? true else { return false }
            state.written = now
            return true
        }
        if due { await write(progress) }
    }

    /// Writes the newest progress whether or not it is due (when the import ends either way).
    func flush() async {
        if let latest = state.withLock({ $0.latest }) { await write(latest) }
    }

    private func write(_ progress: DatasetImporter.Progress) async {
        _ = try? await store.jobs.report(job, owner: owner, progress: [
            "documents": .int(progress.documents), "documents_done": .int(progress.documentsDone), "chunks": .int(progress.chunks),
            "embedded": .int(progress.embedded), "seconds": .double(progress.seconds),
        ], lease: lease)
    }
}
