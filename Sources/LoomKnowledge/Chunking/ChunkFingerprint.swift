import Crypto
import Foundation
import LoomWorkflow

/// SHA-256 over a document's chunks (text and metadata), fed chunk by chunk: two imports of the same content
/// with the same chunking settings agree, so the second does no work.
public struct ChunkFingerprint {
    private var hasher = SHA256()

    public init() {}

    public mutating func add(_ chunk: TextChunker.Chunk) {
        hasher.update(data: Data(chunk.text.utf8))
        hasher.update(data: [0x1F])
        hasher.update(data: Data(JSONWriter.string(.object(chunk.metadata)).utf8))
        hasher.update(data: [0x1E])
    }

    public func hex() -> String {
        hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
