import Foundation

/// Writes a file so that a reader (or a crash) sees the old contents or the new, never a mix:
/// a temporary file beside the target, flushed to disk, then renamed over it.
public func writeAtomically(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    let temporaryPath = url.deletingLastPathComponent()
        .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
        .path
    func failure(_ action: String) -> ZooError { fileSystemError(action, path: path, code: errno) }
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
        throw fileSystemError("write the file", path: path, error: error)
    }
    guard rename(temporaryPath, path) == 0 else { throw failure("replace the file") }
    succeeded = true
}

public func writeAtomically(_ text: String, to path: String) throws { try writeAtomically(Data(text.utf8), to: path) }

/// A file-system failure in plain words with the path and what to do, never Foundation's raw error text.
public func fileSystemError(_ action: String, path: String, error: Error) -> ZooError {
    let error = error as NSError
    let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError
    let cocoaCodes: [Int: Int32] = [4: ENOENT, 260: ENOENT, 257: EACCES, 513: EACCES, 516: EEXIST, 640: ENOSPC, 642: EROFS]
    let code = underlying.flatMap { $0.domain == NSPOSIXErrorDomain ? Int32($0.code) : nil }
        ?? (error.domain == NSPOSIXErrorDomain ? Int32(error.code) : cocoaCodes[error.code] ?? EIO)
    return fileSystemError(action, path: path, code: code)
}

public func fileSystemError(_ action: String, path: String, code: Int32) -> ZooError {
    let (reason, hint): (String, String)
    switch code {
    case EEXIST, ENOTDIR: (reason, hint) = ("a file that is not a folder is in the way", "choose another path, or move that file away")
    case EACCES, EPERM: (reason, hint) = ("permission denied", "choose a folder you can write to, or change its permissions")
    case ENOSPC, EDQUOT: (reason, hint) = ("the disk is full", "free some space, or choose a folder on another disk")
    case EROFS: (reason, hint) = ("the file system is read-only", "choose a writable folder")
    case ENOENT: (reason, hint) = ("a folder on the way does not exist", "check the path")
    default: (reason, hint) = (String(cString: strerror(code)).lowercased(), "check the path, its permissions and the free disk space")
    }
    return ZooError("cannot \(action): \(reason)", place: path, hint: hint)
}
