import Foundation

/// Writes a file so that a reader (or a crash) sees the old contents or the new, never a mix:
/// a temporary file beside the target, flushed to disk, then renamed over it.
public func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporaryPath = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
        .path
    func failure(_ action: String) -> ZooError {
        ZooError("cannot \(action): \(String(cString: strerror(errno)))", place: path,
                 hint: "check that the folder exists, is writable and the disk is not full")
    }
    let descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL, 0o644)
    guard descriptor >= 0 else { throw failure("create a temporary file next to it") }
    var succeeded = false
    defer {
        if !succeeded { unlink(temporaryPath) }
    }
    let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    do {
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
    } catch {
        throw ZooError("cannot write the file: \(error.localizedDescription)", place: path,
                       hint: "check that the disk is not full and the folder is writable")
    }
    guard rename(temporaryPath, path) == 0 else { throw failure("replace the file") }
    succeeded = true
}

public func writeAtomically(_ text: String, to path: String) throws { try writeAtomically(Data(text.utf8), to: path) }
