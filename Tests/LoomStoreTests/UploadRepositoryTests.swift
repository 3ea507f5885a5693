import Foundation
@testable import LoomStore
import LoomTestSupport
import PostgresNIO
import Testing

/// Uploads kept in PostgreSQL in parts, so a large document is never whole in memory on its way to an import.
@Suite struct UploadRepositoryTests {
    static let pattern = (0..<65_536).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }

    /// Block `number` of a test file: numbered, so a part stored out of place or twice would show.
    static func block(_ number: Int) -> [UInt8] {
        var block = pattern
        withUnsafeBytes(of: UInt64(number).littleEndian) { block.replaceSubrange(0..<8, with: $0) }
        return block
    }

    static func dataset(_ store: Store) async throws -> DatasetRecord {
        try await store.datasets.create(DatasetSpec(name: "docs", embeddingModel: "minilm-l6", dimensions: 3))
    }

    static func count(_ store: Store, _ query: PostgresQuery) async throws -> Int {
        for try await value in try await store.client.query(query).decode(Int.self) { return value }
        return -1
    }

    @Test func aLargeFileIsStoredAndReadBackAMegabyteAtATime() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await Self.dataset(store)
            // 16 MB: enough parts to show the scheme; a 50 MB file (the reader's test) would only load the database the
            // other tests share.
            let size = 16 << 20
            // Written as a request body arrives: in blocks of 64 KB.
            let (id, bytes) = try await store.uploads.receive(dataset: dataset, name: "big.txt") { writer in
                for number in 0..<(size / 65_536) { try await writer.write(Self.block(number)) }
            }
            #expect(bytes == size)
            #expect(try await Self.count(store, "SELECT count(*)::int FROM dataset_upload_parts WHERE upload_id = \(id)") == 16)
            #expect(try await Self.count(store, "SELECT max(octet_length(content))::int FROM dataset_upload_parts WHERE upload_id = \(id)") == 1 << 20)
            #expect(try await store.uploads.names([id], dataset: dataset).map(\.name) == ["big.txt"])

            let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-upload-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try await store.uploads.copy(id, to: path) == 16)
            let file = try #require(FileHandle(forReadingAtPath: path))
            defer { try? file.close() }
            var offset = 0, mismatches = 0
            while let read = try file.read(upToCount: 65_536), !read.isEmpty {
                if [UInt8](read) != Self.block(offset / 65_536) { mismatches += 1 }
                offset += read.count
            }
            #expect(offset == size && mismatches == 0)

            try await store.uploads.delete([id])
            #expect(try await Self.count(store, "SELECT count(*)::int FROM dataset_upload_parts") == 0)
        }
    }

    @Test func anUploadCutShortLeavesNothingAndAnIncompleteOneIsNotImported() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await Self.dataset(store)
            struct ClientLeft: Error {}
            await #expect(throws: ClientLeft.self) {
                try await store.uploads.receive(dataset: dataset, name: "cut.txt") { writer in
                    try await writer.write([UInt8](repeating: 65, count: 3 << 20))
                    throw ClientLeft()
                }
            }
            #expect(try await Self.count(store, "SELECT count(*)::int FROM dataset_uploads") == 0)
            #expect(try await Self.count(store, "SELECT count(*)::int FROM dataset_upload_parts") == 0)

            // A server that died while receiving leaves an incomplete upload: it cannot be imported.
            let orphan = try await store.uploads.begin(dataset: dataset, name: "orphan.txt")
            await #expect(throws: StoreError.invalidDataset("upload \(orphan) ('orphan.txt') of dataset 'docs' was not received whole; upload it again")) {
                try await store.uploads.names([orphan], dataset: dataset)
            }
            await #expect(throws: StoreError.invalidDataset("no upload 999999 for dataset 'docs'")) { try await store.uploads.names([999_999], dataset: dataset) }
        }
    }

    @Test func anUploadStoredBeforePartsExistedIsReadFromItsRow() async throws {
        try await TestDatabase.withStore { store in
            let dataset = try await Self.dataset(store)
            var id: Int64 = 0
            for try await value in try await store.client.query(
                "INSERT INTO dataset_uploads (dataset_id, name, content) VALUES (\(dataset.id), 'old.txt', \(ByteBuffer(string: "kept inline"))) RETURNING id"
            ).decode(Int64.self) { id = value }
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-upload-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: path) }
            #expect(try await store.uploads.copy(id, to: path) == 0)
            #expect(try String(contentsOfFile: path, encoding: .utf8) == "kept inline")
        }
    }
}
