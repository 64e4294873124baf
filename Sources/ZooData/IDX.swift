import Foundation
import ZooFoundation

/// An IDX file (the MNIST format): magic 00 00 08 (unsigned bytes) and a dimension count,
/// big-endian 32-bit sizes, then the values. Byte offsets in errors count inflated bytes for .gz files.
struct IDXFile {
    let dimensions: [Int]
    let values: [UInt8]

    static let hint = "the file is damaged or not an IDX file; delete it and fetch it again (zoo data fetch NAME)"

    static func read(_ path: String, dimensionCount: Int) throws -> IDXFile {
        var bytes = try Gzip.contents(of: path)
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
        bytes.removeSubrange(0 ..< headerSize)  // in place: a copy of 47 MB would cost more than the move
        return IDXFile(dimensions: dimensions, values: bytes)
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

/// A dataset of 28x28 grey images of ten classes in IDX files, named and spelt as MNIST's are.
protocol IDXDataset: ImageDataset {}

extension IDXDataset {
    static var channels: Int { 1 }
    static var height: Int { 28 }
    static var width: Int { 28 }
    static var classCount: Int { 10 }

    /// MNIST circulates both as `train-images-idx3-ubyte` and `train-images.idx3-ubyte`, gzipped or not.
    static var requiredFiles: [[String]] {
        ["train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"].map { stem in
            let dotted = stem.replacingOccurrences(of: "-idx", with: ".idx")
            return ["\(stem)-ubyte.gz", "\(stem)-ubyte", "\(dotted)-ubyte", "\(dotted)-ubyte.gz"]
        }
    }

    static func load(_ paths: [String], folder: String) throws -> (train: DatasetSplit, test: DatasetSplit, classNames: [String]?) {
        (try split(images: paths[0], labels: paths[1]), try split(images: paths[2], labels: paths[3]), nil)
    }

    static func counts(_ paths: [String]) throws -> (train: Int, test: Int) {
        (try IDXFile.readDimensions(paths[0], dimensionCount: 3)[0], try IDXFile.readDimensions(paths[2], dimensionCount: 3)[0])
    }

    /// The four gzipped files on `mirror`, with the checksums of their content (the .gz files circulate
    /// recompressed: different bytes, same images).
    static func idxDownload(mirror: String, checksums: [String]) -> DatasetDownload {
        DatasetDownload(mirror: mirror, files: zip(requiredFiles.map { $0[0] }, checksums).map {
            RemoteFile(name: $0, sha256: $1, checksumIsOfContent: true)
        })
    }

    private static func split(images: String, labels: String) throws -> DatasetSplit {
        let imageFile = try IDXFile.read(images, dimensionCount: 3)
        guard imageFile.dimensions[1] == height, imageFile.dimensions[2] == width else {
            throw ZooError("images are \(imageFile.dimensions[1])x\(imageFile.dimensions[2]), expected \(height)x\(width)",
                           place: "\(images) at byte 8", hint: IDXFile.hint)
        }
        let labelFile = try IDXFile.read(labels, dimensionCount: 1)
        guard labelFile.dimensions[0] == imageFile.dimensions[0] else {
            throw ZooError("holds \(labelFile.dimensions[0]) labels but \(images) holds \(imageFile.dimensions[0]) images",
                           place: "\(labels) at byte 4", hint: "the two files come from different downloads; fetch the dataset again")
        }
        if let index = labelFile.values.firstIndex(where: { Int($0) >= classCount }) {
            throw ZooError("label \(labelFile.values[index]) is out of range 0...\(classCount - 1)",
                           place: "\(labels) at byte \(8 + index)", hint: IDXFile.hint)
        }
        return try DatasetSplit(images: imageFile.values, labels: labelFile.values, channels: 1, height: height, width: width)
    }
}
