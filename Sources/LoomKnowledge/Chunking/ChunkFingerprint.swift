import Crypto
import Foundation
import LoomWorkflow

/// SHA-256 over a document's chunks (text and metadata), fed chunk by chunk: two imports of the same content
/// with the same chunking settings agree, so the second does no work.
public struct ChunkFingerprint {
    private var hasher = SHA256()

    public init() {}

    public mutating func add(_ chunk: TextChunker.Chunk) {
        add(text: chunk.text, metadata: chunk.metadata)
    }

    /// A chunk as stored, for a document whose chunks were edited rather than cut from a file.
    public mutating func add(text: String, metadata: [String: Value]) {
        hasher.update(data: Data(text.utf8))
        hasher.update(data: [0x1F])
        hasher.update(data: Data(JSONWriter.string(.object(metadata)).utf8))
        hasher.update(data: [0x1E])
    }

    public func hex() -> String {
        Hex.string(hasher.finalize())
    }
}
