import Crypto
import Foundation
import LoomWorkflow

/// One numbered SQL file of `migrations/`: `0001_initial.sql` is version 1.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String
    public var checksum: String

    /// Every `NNNN_name.sql` in `directory`, in order. Other `.sql` names and repeated numbers are errors.
    public static func load(from directory: String) throws(StoreError) -> [Migration] {
        let files: [String]
        do {
            files = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw StoreError.migration("cannot read the migrations directory \(directory): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for file in files.sorted() where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw StoreError.migration("\(directory)/\(file): migration files are named NNNN_description.sql")
            }
            if let clash = migrations.first(where: { $0.version == version }) {
                throw StoreError.migration("\(directory)/\(file) and \(clash.name) both have number \(version)")
            }
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(file)"), let sql = String(data: data, encoding: .utf8) else {
                throw StoreError.migration("cannot read \(directory)/\(file)")
            }
            let checksum = Hex.string(SHA256.hash(data: data))
            migrations.append(Migration(version: version, name: file, sql: sql, checksum: checksum))
        }
        return migrations
    }
}
