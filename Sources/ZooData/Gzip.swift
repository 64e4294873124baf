import CZlib
import Foundation
import ZooFoundation

/// Reads files that may be gzip-compressed, inflating them with the system zlib as they stream in.
enum Gzip {
    private static let chunkSize = 1 << 18

    /// True when the file starts with the gzip magic bytes 1f 8b.
    static func isCompressed(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 2)) ?? Data()
        return head.count == 2 && head[head.startIndex] == 0x1f && head[head.startIndex + 1] == 0x8b
    }

    /// The file's bytes, inflated if it is gzipped. With `limit`, stops once that many bytes are out,
    /// so a header can be read without inflating the whole file; without one, a file that would take more
    /// than the memory budget (a gzip bomb inflates a thousandfold) is an error before it does.
    static func contents(of path: String, limit: Int? = nil) throws -> [UInt8] {
        if isCompressed(path) { return try inflate(path, limit: limit) }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ZooError.unreadable(path) }
        defer { try? handle.close() }
        if limit == nil, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int,
           size > MemoryBudget.limitBytes {
            throw tooLarge(path, after: 0)
        }
        do {
            let data = try limit.map { try handle.read(upToCount: $0) } ?? handle.readToEnd()
            return [UInt8](data ?? Data())
        } catch {
            throw ZooError.unreadable(path)
        }
    }

    private static func inflate(_ path: String, limit: Int?) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ZooError.unreadable(path) }
        defer { try? handle.close() }
        var stream = z_stream()
        // 16 + MAX_WBITS: expect a gzip header and trailer rather than a raw zlib stream.
        guard inflateInit2_(&stream, 16 + MAX_WBITS, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ZooError("zlib could not start inflating", place: path, hint: "the system is probably out of memory")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        // Growing by doubling would copy (and page-fault) the data several times: reserve what the trailer promises.
        output.reserveCapacity(min(limit ?? MemoryBudget.limitBytes, uncompressedSize(handle) ?? 0))
        var window = [UInt8](repeating: 0, count: chunkSize)
        var full: Bool { limit.map { output.count >= $0 } ?? false }
        // A gzip file may hold several members one after another (RFC 1952, section 2.2); gzip -d joins them.
        var memberStart = 0
        var afterFirstMember = false
        var ended = false
        while !ended && !full {
            let chunk: Data
            do { chunk = try handle.read(upToCount: chunkSize) ?? Data() } catch { throw ZooError.unreadable(path) }
            if chunk.isEmpty {
                if afterFirstMember && stream.total_in < 2 { break }
                throw ZooError("gzip stream ends early: the file is truncated", place: "\(path) at byte \(memberStart + Int(stream.total_in))",
                               hint: "the download was probably interrupted; delete the file and fetch it again")
            }
            try chunk.withUnsafeBytes { input in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                // Drain until this chunk is consumed and zlib has no more output pending.
                repeat {
                    let status = window.withUnsafeMutableBufferPointer { buffer -> Int32 in
                        stream.next_out = buffer.baseAddress
                        stream.avail_out = uInt(buffer.count)
                        return CZlib.inflate(&stream, Z_NO_FLUSH)
                    }
                    output.append(contentsOf: window[0 ..< (chunkSize - Int(stream.avail_out))])
                    if limit == nil && output.count > MemoryBudget.limitBytes { throw tooLarge(path, after: memberStart + Int(stream.total_in)) }
                    switch status {
                    case Z_STREAM_END:
                        memberStart += Int(stream.total_in)
                        inflateReset(&stream)
                        afterFirstMember = true
                    case Z_OK, Z_BUF_ERROR: break
                    case Z_DATA_ERROR where afterFirstMember && stream.total_in <= 2:
                        ended = true   // bytes after the last member that start no other are ignored, as gzip -d does
                    default:
                        let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                        throw ZooError("corrupt gzip stream (\(reason))", place: "\(path) at byte \(memberStart + Int(stream.total_in))",
                                       hint: "the file is damaged; delete it and fetch it again")
                    }
                    if status == Z_BUF_ERROR { break }
                } while !ended && !full && (stream.avail_in > 0 || stream.avail_out == 0)
                stream.next_in = nil
            }
        }
        return output
    }

    /// The size the last member's trailer gives (ISIZE: the inflated size modulo 2^32), or nil; only a hint,
    /// so the reading position is restored and a wrong value merely reserves too much or too little.
    private static func uncompressedSize(_ handle: FileHandle) -> Int? {
        guard let end = try? handle.seekToEnd(), end >= 18, (try? handle.seek(toOffset: end - 4)) != nil,
              let trailer = try? handle.read(upToCount: 4), trailer.count == 4, (try? handle.seek(toOffset: 0)) != nil else {
            try? handle.seek(toOffset: 0)
            return nil
        }
        // deflate inflates at most 1032-fold, so a trailer claiming more is ignored rather than reserved.
        let size = trailer.reversed().reduce(0) { $0 << 8 | Int($1) }
        return size / 1032 <= Int(clamping: end) ? size : nil
    }

    private static func tooLarge(_ path: String, after offset: Int) -> ZooError {
        ZooError("the file holds more than the memory budget of \(byteSize(MemoryBudget.limitBytes))",
                 place: offset > 0 ? "\(path) at byte \(offset)" : path,
                 hint: "a dataset file is far smaller; the file is probably not what its name says (a gzip bomb?), or raise --max-memory")
    }
}
