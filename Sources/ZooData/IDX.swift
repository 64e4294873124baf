import ZooCore

/// An IDX file (the MNIST format): magic 00 00 08 (unsigned bytes) and a dimension count,
/// big-endian 32-bit sizes, then the values. Byte offsets in errors count inflated bytes for .gz files.
struct IDXFile {
    let dimensions: [Int]
    let values: [UInt8]

    static let hint = "the file is damaged or not an IDX file; delete it and fetch it again (zoo data fetch NAME)"

    static func read(_ path: String, dimensionCount: Int) throws -> IDXFile {
        let bytes = try Gzip.contents(of: path)
        let dimensions = try header(of: bytes, path: path, dimensionCount: dimensionCount)
        let headerSize = 4 + 4 * dimensionCount
        var valueCount = 1
        for size in dimensions {
            let (product, overflow) = valueCount.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw ZooError("dimension sizes \(dimensions) are impossibly large", place: "\(path) at byte 4", hint: hint)
            }
            valueCount = product
        }
        let available = bytes.count - headerSize
        if available < valueCount {
            throw ZooError("file is truncated: the header promises \(valueCount) values after byte \(headerSize), "
                           + "but only \(available) follow", place: "\(path) at byte \(bytes.count)", hint: hint)
        }
        if available > valueCount {
            throw ZooError("\(available - valueCount) unexpected bytes after the \(valueCount) values the header promises",
                           place: "\(path) at byte \(headerSize + valueCount)", hint: hint)
        }
        return IDXFile(dimensions: dimensions, values: Array(bytes[headerSize...]))
    }

    /// The dimension sizes, reading (and inflating) no more of the file than the header.
    static func readDimensions(_ path: String, dimensionCount: Int) throws -> [Int] {
        let bytes = try Gzip.contents(of: path, limit: 4 + 4 * dimensionCount)
        return try header(of: bytes, path: path, dimensionCount: dimensionCount)
    }

    private static func header(of bytes: [UInt8], path: String, dimensionCount: Int) throws -> [Int] {
        if bytes.isEmpty {
            throw ZooError("file is empty", place: "\(path) at byte 0", hint: hint)
        }
        let headerSize = 4 + 4 * dimensionCount
        guard bytes.count >= 4 else {
            throw ZooError("file ends inside the 4-byte IDX magic number", place: "\(path) at byte \(bytes.count)", hint: hint)
        }
        guard bytes[0] == 0, bytes[1] == 0, bytes[2] == 0x08 else {
            let found = bytes[0 ..< 4].map { String($0, radix: 16) }.joined(separator: " ")
            throw ZooError("wrong magic number \(found); an IDX file of unsigned bytes starts 0 0 8 \(dimensionCount)",
                           place: "\(path) at byte 0", hint: hint)
        }
        guard Int(bytes[3]) == dimensionCount else {
            throw ZooError("IDX file has \(bytes[3]) dimensions, expected \(dimensionCount)", place: "\(path) at byte 3", hint: hint)
        }
        guard bytes.count >= headerSize else {
            throw ZooError("file ends inside the \(headerSize)-byte IDX header", place: "\(path) at byte \(bytes.count)", hint: hint)
        }
        return (0 ..< dimensionCount).map { index in
            let offset = 4 + 4 * index
            return bytes[offset ..< offset + 4].reduce(0) { $0 << 8 | Int($1) }
        }
    }
}
