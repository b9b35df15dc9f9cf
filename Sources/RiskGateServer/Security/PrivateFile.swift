import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads files that hold secrets (the API keys file, the TLS private key), refusing one whose
/// permissions let other users read or change it.
///
/// The mode is checked on the opened descriptor (`fstat`), not on the path before opening, so a
/// file swapped between the check and the read cannot slip through. Symbolic links are followed:
/// what matters is the mode of the file that is read.
package enum PrivateFile {
    /// The file's bytes.
    /// - Parameters:
    ///   - what: how messages name the file (`keys file`, `TLS key file`).
    ///   - forbiddenModeBits: permission bits that make the file unacceptable (e.g. `0o077`).
    /// - Throws: ``PrivateFileError`` when the file cannot be read, is not a regular file, is too
    ///   large, or has any of `forbiddenModeBits`.
    package static func read(_ path: String, what: String, forbiddenModeBits: mode_t, maxBytes: Int) throws -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw PrivateFileError("cannot read \(what) `\(path)`: \(String(cString: strerror(errno)))")
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw PrivateFileError("cannot read \(what) `\(path)`: \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw PrivateFileError("\(what) `\(path)` is not a regular file") }
        let mode = info.st_mode & 0o777
        if mode & forbiddenModeBits != 0 {
            throw PrivateFileError(
                "\(what) `\(path)` has mode \(String(mode, radix: 8)), which lets other users "
                    + "\(mode & 0o022 != 0 ? "change" : "read") it; run `chmod 600 \(path)`")
        }
        guard info.st_size <= maxBytes else {
            throw PrivateFileError("\(what) `\(path)` is larger than \(maxBytes) bytes")
        }
        do {
            return try handle.readToEnd() ?? Data()
        } catch {
            throw PrivateFileError("cannot read \(what) `\(path)`: \(error.localizedDescription)")
        }
    }
}

/// Why a secret-holding file was not read; the message names the file and never holds its content.
package struct PrivateFileError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}
