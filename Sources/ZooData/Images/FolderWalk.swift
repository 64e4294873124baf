import Foundation
import ZooFoundation

/// A path kept as the bytes the file system gave, since names need not be UTF-8; `shown` is for messages.
public struct RawPath: Sendable, Hashable, Comparable {
    public let bytes: [UInt8]

    public init(_ text: String) { bytes = Array(text.utf8) }
    init(bytes: [UInt8]) { self.bytes = bytes }

    public func appending(_ name: [UInt8]) -> RawPath { RawPath(bytes: bytes + [UInt8(ascii: "/")] + name) }
    /// Invalid UTF-8 shows as U+FFFD.
    public var shown: String { String(decoding: bytes, as: UTF8.self) }
    public var lastComponent: [UInt8] { Array(bytes.split(separator: UInt8(ascii: "/")).last ?? []) }

    public static func < (left: RawPath, right: RawPath) -> Bool { left.bytes.lexicographicallyPrecedes(right.bytes) }

    func withCString<Result>(_ body: (UnsafePointer<CChar>) throws -> Result) rethrows -> Result {
        try body(bytes.map { CChar(bitPattern: $0) } + [0])
    }

    /// stat(2), following symbolic links; nil with errno set when it fails.
    func status() -> stat? {
        var result = stat()
        return withCString { stat($0, &result) } == 0 ? result : nil
    }

    public var isDirectory: Bool { status().map { $0.st_mode & S_IFMT == S_IFDIR } ?? false }

    /// The whole file, read through a descriptor: only a regular file of at most `maximumBytes` is read.
    func read(maximumBytes: Int) throws -> [UInt8] {
        let descriptor = withCString { open($0, O_RDONLY | O_NONBLOCK | O_CLOEXEC) }
        guard descriptor >= 0 else { throw FolderWalk.failure(path: self, errno: errno) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FolderWalk.failure(path: self, errno: errno) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw ZooError("is not a regular file", place: shown, hint: "remove it from the dataset folder")
        }
        guard info.st_size <= maximumBytes else {
            throw ZooError("is \(byteSize(Int(info.st_size))), larger than the \(byteSize(maximumBytes)) zoo reads as one image",
                           place: shown, hint: "shrink the image or remove it")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress.map { $0 + filled }, $0.count - filled) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else {
                if count == 0 { break }
                throw FolderWalk.failure(path: self, errno: errno)
            }
            filled += count
        }
        return Array(bytes.prefix(filled))
    }
}

/// Lists folders as torchvision's ImageFolder does: entries sorted by name, hidden ones (a leading `.`) and
/// files without an image extension left out quietly, subfolders of a class folder walked too, symbolic links
/// followed but each folder entered once (a link back up is a loop, reported and skipped).
public enum FolderWalk {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg"]

    /// Sorted names in `folder` that are not hidden, and whether each is a folder; a failure to list is an error.
    static func entries(of folder: RawPath) throws -> [(name: [UInt8], path: RawPath)] {
        guard let directory = folder.withCString({ opendir($0) }) else { throw failure(path: folder, errno: errno) }
        defer { closedir(directory) }
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in Array(raw.prefix(while: { $0 != 0 })) }
            if name.first == UInt8(ascii: ".") { continue }
            names.append(name)
        }
        return names.sorted { $0.lexicographicallyPrecedes($1) }.map { ($0, folder.appending($0)) }
    }

    /// Subfolders of `folder` (through links), sorted by name.
    static func subfolders(of folder: RawPath) throws -> [(name: [UInt8], path: RawPath)] {
        try entries(of: folder).filter { $0.path.isDirectory }
    }

    /// Image files under `folder`, in sorted walk order; problems on the way are passed to `warn` and skipped.
    public static func imageFiles(under folder: RawPath, warn: (String) -> Void) throws -> [RawPath] {
        var visited: Set<[UInt64]> = []
        var files: [RawPath] = []
        func walk(_ folder: RawPath) throws {
            guard let info = folder.status() else { return }
            guard visited.insert([UInt64(info.st_dev), UInt64(info.st_ino)]).inserted else {
                warn("\(folder.shown): skipped: a symbolic link loop leads back to a folder already read")
                return
            }
            for (name, path) in try entries(of: folder) {
                guard let status = path.status() else {
                    let error = errno
                    warn("\(path.shown): skipped: \(error == ELOOP ? "a symbolic link loop" : describe(errno: error))")
                    continue
                }
                if status.st_mode & S_IFMT == S_IFDIR {
                    try walk(path)
                } else if let dot = name.lastIndex(of: UInt8(ascii: ".")),
                          imageExtensions.contains(String(decoding: name[(dot + 1)...], as: UTF8.self).lowercased()) {
                    files.append(path)
                }
            }
        }
        try walk(folder)
        return files
    }

    static func describe(errno code: CInt) -> String {
        switch code {
        case EACCES, EPERM: return "permission denied"
        case ENOENT: return "it does not exist"
        case ELOOP: return "a symbolic link loop"
        case EISDIR: return "it is a folder"
        default: return "the system reports error \(code)"
        }
    }

    static func failure(path: RawPath, errno code: CInt) -> ZooError {
        ZooError("cannot be read: \(describe(errno: code))", place: path.shown, hint: "make it readable, or remove it from the dataset folder")
    }
}
