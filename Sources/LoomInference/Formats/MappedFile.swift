import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file mapped read-only into memory: model weights are read in place, never copied.
public final class MappedFile: @unchecked Sendable {
    // Immutable after init; the mapping is read-only, so sharing it between threads is safe.
    public let path: String
    public let base: UnsafeRawPointer
    public let count: Int

    public init(path: String) throws(ModelFileError) {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw ModelFileError.unreadable(path, String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw ModelFileError.unreadable(path, String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        guard size > 0 else { throw ModelFileError.malformed(path, "the file is empty") }
        guard let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), pointer != MAP_FAILED else {
            throw ModelFileError.unreadable(path, String(cString: strerror(errno)))
        }
        self.path = path
        self.base = UnsafeRawPointer(pointer)
        self.count = size
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), count)
    }
}

public enum ModelFileError: Error, Sendable, CustomStringConvertible, Equatable {
    case unreadable(String, String)
    case malformed(String, String)
    case unsupported(String, String)
    case missingTensor(String, String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .malformed(let path, let reason): return "\(path) is not a valid model file: \(reason)"
        case .unsupported(let path, let reason): return "\(path): \(reason) is not supported"
        case .missingTensor(let path, let name): return "\(path) has no tensor '\(name)'"
        }
    }
}

/// Reads little-endian values from a mapped file, checking every bound.
struct ByteReader {
    let file: MappedFile
    var offset: Int

    mutating func bytes(_ count: Int) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard count >= 0, offset + count <= file.count else {
            throw ModelFileError.malformed(file.path, "truncated at byte \(offset) (wanted \(count) more)")
        }
        defer { offset += count }
        return UnsafeRawBufferPointer(start: file.base + offset, count: count)
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws(ModelFileError) -> T {
        let raw = try bytes(MemoryLayout<T>.size)
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    mutating func float() throws(ModelFileError) -> Float {
        Float(bitPattern: try read(UInt32.self))
    }

    mutating func double() throws(ModelFileError) -> Double {
        Double(bitPattern: try read(UInt64.self))
    }

    mutating func string() throws(ModelFileError) -> String {
        let length = try read(UInt64.self)
        guard length < 1 << 30 else { throw ModelFileError.malformed(file.path, "a string of \(length) bytes") }
        return String(decoding: try bytes(Int(length)), as: UTF8.self)
    }
}
