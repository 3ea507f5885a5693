import Crypto
import Foundation
import LoomWorkflow
import PostgresNIO

/// Training samples of `samples` datasets. Every change commits a dataset version; a version is read as the sample
/// revisions whose range of versions contains it.
public struct SampleRepository: Sendable {
    let store: Store

    /// The hash that finds duplicates: of the record's canonical JSON, so key order and spacing do not matter.
    public static func sha256(_ record: TrainingRecord) -> String {
        Hex.string(SHA256.hash(data: Data(record.canonicalJSON.utf8)))
    }

    /// Stores the samples whose records the dataset does not hold yet (the first of equal inputs wins), all in one
    /// new version. Duplicates are answered with the id of the sample already there.
    public func add(_ dataset: String, _ inputs: [SampleInput], message: String) async throws -> SampleAddition {
        let hashes = inputs.map { Self.sha256($0.record) }
        return try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                let (datasetId, latest) = try await lock(dataset, connection)
                var known: [String: Int64] = [:]
                for try await (sha, id) in try await connection.query(
                    """
                    SELECT sha256, sample_id FROM sample_revisions
                    WHERE dataset_id = \(datasetId) AND until_version IS NULL AND sha256 = ANY(\(Array(Set(hashes))))
                    """, logger: store.logger
                ).decode((String, Int64).self) {
                    known[sha] = id
                }
                var fresh: [Int] = []
                var seen = Set(known.keys)
                for (index, sha) in hashes.enumerated() where seen.insert(sha).inserted { fresh.append(index) }
                guard !fresh.isEmpty else {
                    return SampleAddition(writes: hashes.map { SampleWrite(id: known[$0]!, duplicate: true) }, version: latest)
                }
                var ids: [Int64] = []
                for try await id in try await connection.query(
                    "SELECT nextval('samples_id_seq') FROM generate_series(1, \(fresh.count))", logger: store.logger
                ).decode(Int64.self) {
                    ids.append(id)
                }
                let next = latest + 1
                let rows = JSONWriter.string(
                    .array(zip(fresh, ids).map { index, id in
                        let input = inputs[index]
                        return [
                            "id": .int(Int(id)), "source": .object(input.source), "record": input.record.value, "sha256": .string(hashes[index]),
                            "status": .string(input.status.rawValue), "rating": input.rating.map(Value.int) ?? .null,
                            "label": input.label.map(Value.string) ?? .null,
                        ]
                    }), sortKeys: false)
                try await connection.query(
                    """
                    INSERT INTO samples (id, dataset_id, source)
                    SELECT s.id, \(datasetId), s.source FROM jsonb_to_recordset(\(rows)::jsonb) AS s(id bigint, source jsonb)
                    """, logger: store.logger)
                try await connection.query(
                    """
                    INSERT INTO sample_revisions (sample_id, dataset_id, record, sha256, status, rating, label, from_version)
                    SELECT s.id, \(datasetId), s.record, s.sha256, s.status, s.rating, s.label, \(next)
                    FROM jsonb_to_recordset(\(rows)::jsonb) AS s(id bigint, record jsonb, sha256 text, status text, rating smallint, label text)
                    """, logger: store.logger)
                try await commit(datasetId, next, message, connection)
                for (index, id) in zip(fresh, ids) { known[hashes[index]] = id }
                let freshSet = Set(fresh)
                return SampleAddition(
                    writes: hashes.enumerated().map { SampleWrite(id: known[$1]!, duplicate: !freshSet.contains($0)) }, version: next)
            }
        }
    }

    /// The samples of a version (latest for nil), by id; `status` keeps only those, `after` and `limit` page.
    public func list(_ dataset: DatasetRecord, version: Int, status: SampleStatus? = nil, after: Int64 = 0, limit: Int = .max) async throws
        -> [SampleRecord]
    {
        try await store.perform {
            var samples: [SampleRecord] = []
            for try await row in try await store.client.query(
                """
                SELECT r.sample_id, r.record::text, r.status, r.rating::integer, r.label, s.source::text, r.sha256, r.from_version, r.created_at
                FROM sample_revisions r JOIN samples s ON s.id = r.sample_id
                WHERE r.dataset_id = \(dataset.id) AND r.from_version <= \(version) AND (r.until_version IS NULL OR r.until_version > \(version))
                  AND (\(status?.rawValue)::text IS NULL OR r.status = \(status?.rawValue)) AND r.sample_id > \(after)
                ORDER BY r.sample_id LIMIT \(Int64(limit))
                """, logger: store.logger
            ).decode((Int64, String, String, Int?, String?, String, String, Int, Date).self) {
                samples.append(
                    SampleRecord(
                        id: row.0, record: try TrainingRecord(parsing: JSONDocumentReader.parse(row.1).value), status: SampleStatus(rawValue: row.2) ?? .pending,
                        rating: row.3, label: row.4, source: (try? JSONDocumentReader.parse(row.5).value.objectValue) ?? [:], sha256: row.6, version: row.7,
                        createdAt: row.8))
            }
            return samples
        }
    }

    /// Notes that a chat query was answered from a sample (annotation reply).
    public func recordHit(sample: Int64, appId: Int, message: UUID, query: String, score: Double) async throws {
        try await store.perform {
            try await store.client.query(
                """
                INSERT INTO annotation_hits (sample_id, app_id, message_id, query, score)
                VALUES (\(sample), \(appId), \(message), \(query), \(Float(score)))
                """, logger: store.logger)
        }
    }

    /// How many times each of a dataset's samples answered a query, for those that did.
    public func hits(_ dataset: DatasetRecord) async throws -> [Int64: Int] {
        try await store.perform {
            var hits: [Int64: Int] = [:]
            for try await (sample, count) in try await store.client.query(
                """
                SELECT h.sample_id, count(*)::integer FROM annotation_hits h JOIN samples s ON s.id = h.sample_id
                WHERE s.dataset_id = \(dataset.id) GROUP BY h.sample_id
                """, logger: store.logger
            ).decode((Int64, Int).self) {
                hits[sample] = count
            }
            return hits
        }
    }

    /// How many samples of a version are pending, approved and rejected.
    public func counts(_ dataset: DatasetRecord, version: Int) async throws -> [SampleStatus: Int] {
        try await store.perform {
            var counts: [SampleStatus: Int] = [:]
            for try await (status, count) in try await store.client.query(
                """
                SELECT status, count(*)::integer FROM sample_revisions
                WHERE dataset_id = \(dataset.id) AND from_version <= \(version) AND (until_version IS NULL OR until_version > \(version))
                GROUP BY status
                """, logger: store.logger
            ).decode((String, Int).self) {
                if let status = SampleStatus(rawValue: status) { counts[status] = count }
            }
            return counts
        }
    }

    /// One sample as version `version` holds it, if it does.
    public func sample(_ dataset: DatasetRecord, id: Int64, version: Int) async throws -> SampleRecord? {
        try await list(dataset, version: version, after: id - 1, limit: 1).first { $0.id == id }
    }

    /// Applies one review to the samples `ids` in a new version. Samples it would not change are left alone (no
    /// version when none changes); an unknown id or an edit that duplicates another sample changes nothing.
    public func review(_ dataset: String, ids: [Int64], _ review: SampleReview, message: String) async throws -> Int {
        guard review.record == nil || ids.count == 1 else { throw StoreError.invalidDataset("a record is edited one sample at a time") }
        return try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                let (datasetId, latest) = try await lock(dataset, connection)
                var current: [(revision: Int64, sample: Int64, record: String, sha: String, status: String, rating: Int?, label: String?)] = []
                for try await row in try await connection.query(
                    """
                    SELECT id, sample_id, record::text, sha256, status, rating::integer, label FROM sample_revisions
                    WHERE dataset_id = \(datasetId) AND sample_id = ANY(\(ids)) AND until_version IS NULL
                    """, logger: store.logger
                ).decode((Int64, Int64, String, String, String, Int?, String?).self) {
                    current.append(row)
                }
                let missing = Set(ids).subtracting(current.map(\.sample))
                guard missing.isEmpty else { throw StoreError.sampleNotFound(dataset: dataset, ids: missing.sorted()) }
                var changed: [Int64] = []
                var rows: [Value] = []
                for sample in current {
                    var record = sample.record
                    var sha = sample.sha
                    if let edited = review.record {
                        sha = Self.sha256(edited)
                        record = edited.canonicalJSON
                        for try await other in try await connection.query(
                            """
                            SELECT sample_id FROM sample_revisions
                            WHERE dataset_id = \(datasetId) AND sha256 = \(sha) AND until_version IS NULL AND sample_id <> \(sample.sample)
                            """, logger: store.logger
                        ).decode(Int64.self) {
                            throw StoreError.duplicateSample(dataset: dataset, of: other)
                        }
                    }
                    let status = review.status?.rawValue ?? sample.status
                    let rating = review.rating ?? sample.rating
                    let label = review.label ?? sample.label
                    guard sha != sample.sha || status != sample.status || rating != sample.rating || label != sample.label else { continue }
                    changed.append(sample.revision)
                    rows.append([
                        "id": .int(Int(sample.sample)), "record": .string(record), "sha256": .string(sha), "status": .string(status),
                        "rating": rating.map(Value.int) ?? .null, "label": label.map(Value.string) ?? .null,
                    ])
                }
                guard !changed.isEmpty else { return latest }
                let next = latest + 1
                try await connection.query(
                    "UPDATE sample_revisions SET until_version = \(next) WHERE id = ANY(\(changed))", logger: store.logger)
                try await connection.query(
                    """
                    INSERT INTO sample_revisions (sample_id, dataset_id, record, sha256, status, rating, label, from_version)
                    SELECT s.id, \(datasetId), s.record::jsonb, s.sha256, s.status, s.rating, s.label, \(next)
                    FROM jsonb_to_recordset(\(JSONWriter.string(.array(rows), sortKeys: false))::jsonb)
                      AS s(id bigint, record text, sha256 text, status text, rating smallint, label text)
                    """, logger: store.logger)
                try await commit(datasetId, next, message, connection)
                return next
            }
        }
    }

    /// A new version whose samples are exactly those of version `number`, as they were then: later samples leave,
    /// later reviews and edits are undone. Refused when another change committed since `dataset` was read.
    func rollback(_ dataset: DatasetRecord, to number: Int) async throws -> Int {
        try await store.perform {
            try await store.client.withTransaction(logger: store.logger) { connection in
                let (datasetId, latest) = try await lock(dataset.name, connection)
                guard latest == dataset.latestVersion else {
                    throw StoreError.datasetChanged(dataset: dataset.name, expected: dataset.latestVersion, latest: latest)
                }
                let next = latest + 1
                let heldThen = "dataset_id = \(datasetId) AND from_version <= \(number) AND (until_version IS NULL OR until_version > \(number))"
                var changed = 0
                for try await _ in try await connection.query(
                    """
                    UPDATE sample_revisions SET until_version = \(next)
                    WHERE dataset_id = \(datasetId) AND until_version IS NULL
                      AND id NOT IN (SELECT id FROM sample_revisions WHERE \(unescaped: heldThen))
                    RETURNING id
                    """, logger: store.logger
                ).decode(Int64.self) {
                    changed += 1
                }
                for try await _ in try await connection.query(
                    """
                    INSERT INTO sample_revisions (sample_id, dataset_id, record, sha256, status, rating, label, from_version)
                    SELECT sample_id, dataset_id, record, sha256, status, rating, label, \(next) FROM sample_revisions
                    WHERE \(unescaped: heldThen) AND until_version IS NOT NULL
                    RETURNING id
                    """, logger: store.logger
                ).decode(Int64.self) {
                    changed += 1
                }
                guard changed > 0 else { return latest }
                try await commit(datasetId, next, "roll back to version \(number)", connection)
                return next
            }
        }
    }

    /// Locks a samples dataset's row for this transaction (versions of one dataset are committed one at a time).
    private func lock(_ name: String, _ connection: PostgresConnection) async throws -> (id: Int64, latest: Int) {
        for try await (id, latest, kind) in try await connection.query(
            "SELECT id, latest_version, kind FROM datasets WHERE name = \(name) FOR UPDATE", logger: store.logger
        ).decode((Int64, Int, String).self) {
            guard kind == DatasetKind.samples.rawValue else {
                throw StoreError.wrongDatasetKind(dataset: name, kind: kind, needed: DatasetKind.samples.rawValue)
            }
            return (id, latest)
        }
        throw StoreError.datasetNotFound(name)
    }

    private func commit(_ datasetId: Int64, _ next: Int, _ message: String, _ connection: PostgresConnection) async throws {
        try await connection.query(
            "INSERT INTO dataset_versions (dataset_id, number, message) VALUES (\(datasetId), \(next), \(message))", logger: store.logger)
        try await connection.query("UPDATE datasets SET latest_version = \(next) WHERE id = \(datasetId)", logger: store.logger)
        try await connection.query("SELECT pg_notify(\(NotificationChannel.datasets), \("\(datasetId):\(next)"))", logger: store.logger)
    }
}
