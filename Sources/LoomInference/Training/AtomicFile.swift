import Foundation

/// Writes a file so that readers see the old contents or the new, never a part: the bytes go to `NAME.partial`
/// beside it, are flushed to disk, and the partial file is renamed over the target. A failed write (a full disk)
/// removes the partial file and leaves the target as it was.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String) throws(CheckpointError) {
        let partial = path + ".partial"
        let descriptor = open(partial, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: String(cString: strerror(errno))) }
        var failure: String?
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = String(cString: strerror(errno)) }
        close(descriptor)
        if failure == nil, rename(partial, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(partial)
            throw .writeFailed(path: path, reason: failure)
        }
        // The rename itself is durable once the directory is flushed.
        let directory = open((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent, O_RDONLY)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}
