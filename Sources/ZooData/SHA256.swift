import Crypto
import Foundation
import ZooFoundation

/// SHA-256 hex digests of downloads, by swift-crypto.
struct SHA256 {
    private var hasher = Crypto.SHA256()

    init() {}

    mutating func update(_ data: Data) { hasher.update(data: data) }

    /// The digest as 64 lowercase hex digits.
    mutating func finalize() -> String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }

    static func hex(of bytes: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(Data(bytes))
        return hash.finalize()
    }

    /// The digest of a file, read in chunks.
    static func hex(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ZooError.unreadable(path) }
        defer { try? handle.close() }
        var hash = SHA256()
        do {
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(chunk) }
        } catch {
            throw ZooError.unreadable(path)
        }
        return hash.finalize()
    }
}
