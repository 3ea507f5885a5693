import Foundation
import LoomInference
import Testing

/// Broken model files fail with an error naming the file and the problem, never a crash.
struct ModelFileErrorTests {
    static func scratch(_ name: String, _ bytes: some Sequence<UInt8>) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString)-\(name)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func aFileThatIsNotGGUFIsRefused() throws {
        let path = try Self.scratch("model.gguf", Array("not a model at all, just text".utf8))
        #expect(throws: ModelFileError.self) { try GGUFFile(path: path) }
        do {
            _ = try GGUFFile(path: path)
        } catch {
            #expect(error.description.contains(path))
        }
    }

    @Test func aTruncatedGGUFIsRefused() throws {
        let real = Reference.modelsDirectory + "/smollm2-135m/SmolLM2-135M-Instruct.Q4_1.gguf"
        let handle = try #require(FileHandle(forReadingAtPath: real), "run `loom models pull`")
        defer { try? handle.close() }
        // The header and part of the metadata, or all metadata and only some tensor data.
        for length in [64, 200_000, 5_000_000] {
            try handle.seek(toOffset: 0)
            let path = try Self.scratch("cut.gguf", handle.readData(ofLength: length))
            #expect(throws: ModelFileError.self, "\(length) bytes") { try LlamaModel(path: path) }
        }
    }

    @Test func aMissingFileSaysSo() {
        #expect(throws: ModelFileError.self) { try LlamaModel(path: "/nonexistent/model.gguf") }
        #expect(throws: ModelFileError.self) { try BertEncoder(directory: "/nonexistent", pool: ComputePool(threads: 1)) }
    }

    @Test func aCharacterSplitAcrossTokensIsHeldUntilComplete() {
        var stream = UTF8Stream()
        let bytes = Array("né😀".utf8)
        #expect(stream.append([bytes[0], bytes[1]]) == "n")
        #expect(stream.append([bytes[2], bytes[3]]) == "é")
        #expect(stream.append([bytes[4], bytes[5]]) == "")
        #expect(stream.append([bytes[6]]) == "😀")
        #expect(stream.append([0xE2, 0x82]) == "")
        #expect(stream.finish() == "\u{FFFD}")
    }
}
