import Foundation
import ZooFoundation

/// Extracts ustar/GNU/pax tar archives of plain files and folders, refusing any entry that could land
/// outside the destination (absolute paths, `..`) and any link.
enum Tar {
    private static let blockSize = 512

    /// Unpacks `archive` (the bytes of the file at `path`, already inflated) into `folder`.
    static func extract(_ archive: [UInt8], path: String, into folder: String) throws {
        let hint = "the archive is damaged or not the expected one; delete it and fetch again"
        var offset = 0
        var longName: String?
        while offset + blockSize <= archive.count {
            let header = archive[offset ..< offset + blockSize]
            if header.allSatisfy({ $0 == 0 }) { return }
            let place = "\(path) at byte \(offset)"
            try checkChecksum(header, place: place, hint: hint)
            let size = try octal(header, at: 124, length: 12, place: place, hint: hint)
            let dataStart = offset + blockSize
            guard size <= archive.count - dataStart else {
                throw ZooError("archive is truncated: entry needs \(size) bytes", place: place, hint: hint)
            }
            let data = archive[dataStart ..< dataStart + size]
            let type = header[offset + 156]
            var name = longName ?? fullName(header)
            longName = nil
            switch type {
            case UInt8(ascii: "L"):
                // GNU long name: this entry's data names the next entry.
                longName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
            case UInt8(ascii: "x"):
                // pax extended header: its `path` names the next entry (tar --format=pax writes long names so).
                longName = try paxPath(data, place: place, hint: hint)
            case UInt8(ascii: "g"):
                break   // pax global header: nothing in it changes where a file goes
            case UInt8(ascii: "0"), 0, UInt8(ascii: "7"), UInt8(ascii: "5"):
                while name.hasPrefix("./") { name.removeFirst(2) }
                guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                    throw ZooError("refusing archive entry '\(name)': it would be written outside the destination folder",
                                   place: place, hint: hint)
                }
                guard !name.isEmpty else { break }
                let target = "\(folder)/\(name)"
                do {
                    if type == UInt8(ascii: "5") {
                        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                    } else {
                        try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent,
                                                                withIntermediateDirectories: true)
                        try Data(data).write(to: URL(fileURLWithPath: target))
                    }
                } catch {
                    throw ZooError("cannot write \(target): \(error.localizedDescription)", place: place,
                                   hint: "check free disk space and that the data directory is writable")
                }
            default:
                throw ZooError("refusing archive entry '\(name)' of type '\(Character(Unicode.Scalar(type)))': only files and folders are unpacked",
                               place: place, hint: hint)
            }
            offset = dataStart + (size + blockSize - 1) / blockSize * blockSize
        }
        throw ZooError("archive ends without its end-of-archive marker", place: "\(path) at byte \(archive.count)", hint: hint)
    }

    /// The entry name: ustar splits long names into a prefix (at 345) and a name (at 0).
    private static func fullName(_ header: ArraySlice<UInt8>) -> String {
        func text(_ start: Int, _ length: Int) -> String {
            let field = header[header.startIndex + start ..< header.startIndex + start + length]
            return String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
        }
        let name = text(0, 100)
        let prefix = text(257, 5) == "ustar" ? text(345, 155) : ""
        return prefix.isEmpty ? name : "\(prefix)/\(name)"
    }

    /// The `path` record of a pax extended header, if it has one. Records are "LENGTH key=value\n", LENGTH
    /// counting the whole record in bytes.
    private static func paxPath(_ data: ArraySlice<UInt8>, place: String, hint: String) throws -> String? {
        var path: String?
        var start = data.startIndex
        while start < data.endIndex {
            guard let space = data[start...].firstIndex(of: UInt8(ascii: " ")),
                  let length = Int(String(decoding: data[start ..< space], as: UTF8.self)),
                  length > space - start + 1, length <= data.endIndex - start, data[start + length - 1] == UInt8(ascii: "\n"),
                  let equals = data[space + 1 ..< start + length - 1].firstIndex(of: UInt8(ascii: "=")) else {
                throw ZooError("malformed pax extended header record at byte \(start - data.startIndex) of its data",
                               place: place, hint: hint)
            }
            if String(decoding: data[space + 1 ..< equals], as: UTF8.self) == "path" {
                path = String(decoding: data[equals + 1 ..< start + length - 1], as: UTF8.self)
            }
            start += length
        }
        return path
    }

    private static func octal(_ header: ArraySlice<UInt8>, at start: Int, length: Int, place: String, hint: String) throws -> Int {
        let field = header[header.startIndex + start ..< header.startIndex + start + length]
        var value = 0
        for byte in field where byte != 0 && byte != UInt8(ascii: " ") {
            guard (UInt8(ascii: "0") ... UInt8(ascii: "7")).contains(byte), value < Int.max >> 3 else {
                throw ZooError("bad number in tar header field at offset \(start)", place: place, hint: hint)
            }
            value = value << 3 | Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// The header checksum counts its own 8-byte field as spaces.
    private static func checkChecksum(_ header: ArraySlice<UInt8>, place: String, hint: String) throws {
        let stored = try octal(header, at: 148, length: 8, place: place, hint: hint)
        let checksumField = header.startIndex + 148 ..< header.startIndex + 156
        let sum = header.indices.reduce(0) { $0 + (checksumField.contains($1) ? 32 : Int(header[$1])) }
        guard sum == stored else {
            throw ZooError("tar header checksum is \(stored) but the header sums to \(sum)", place: place, hint: hint)
        }
    }
}
