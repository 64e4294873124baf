import Foundation
import ZooFoundation

/// CIFAR binary batches: each record is its label byte(s), then 3072 pixel bytes already in planar
/// order (1024 red, 1024 green, 1024 blue, each 32x32 row-major), so records concatenate into NCHW.
struct CIFARFormat: Sendable {
    /// 1 for CIFAR-10; 2 for CIFAR-100 (coarse then fine label; the fine one is used).
    let labelBytes: Int
    let classCount: Int
    let trainFiles: [String]
    let testFiles: [String]
    /// Class names, one a line.
    let namesFile: String
    /// The folder the official archive unpacks into.
    let archiveFolder: String

    static let imageBytes = 3 * 32 * 32
    var recordBytes: Int { labelBytes + Self.imageBytes }

    static let hint = "the file is damaged or not a CIFAR binary batch; delete it and fetch the dataset again"

    /// Records in a file, from its size alone; throws if the size is not a whole number of records.
    func recordCount(_ path: String) throws -> Int {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else { throw ZooError.unreadable(path) }
        return try recordCount(path, size: size)
    }

    private func recordCount(_ path: String, size: Int) throws -> Int {
        if size == 0 {
            throw ZooError("file is empty", place: "\(path) at byte 0", hint: Self.hint)
        }
        guard size % recordBytes == 0 else {
            throw ZooError("file size \(size) is not a multiple of the \(recordBytes)-byte record: the last record is cut short",
                           place: "\(path) at byte \(size - size % recordBytes)", hint: Self.hint)
        }
        return size / recordBytes
    }

    func read(_ paths: [String]) throws -> DatasetSplit {
        var images: [UInt8] = []
        var labels: [UInt8] = []
        for path in paths {
            let bytes = try Gzip.contents(of: path)
            let count = try recordCount(path, size: bytes.count)
            images.reserveCapacity(images.count + count * Self.imageBytes)
            labels.reserveCapacity(labels.count + count)
            for record in 0 ..< count {
                let start = record * recordBytes
                let label = bytes[start + labelBytes - 1]
                guard Int(label) < classCount else {
                    throw ZooError("label \(label) is out of range 0...\(classCount - 1)",
                                   place: "\(path) at byte \(start + labelBytes - 1)", hint: Self.hint)
                }
                labels.append(label)
                images.append(contentsOf: bytes[start + labelBytes ..< start + recordBytes])
            }
        }
        return try DatasetSplit(images: images, labels: labels, channels: 3, height: 32, width: 32)
    }

    /// Class names from the names file, one a line, ignoring blank lines.
    func classNames(_ path: String) throws -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ZooError.unreadable(path) }
        let names = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard names.count == classCount else {
            throw ZooError("lists \(names.count) class names, expected \(classCount)", place: "\(path) at byte 0",
                           hint: "restore the file from the dataset archive, or delete it to use the standard names")
        }
        return names
    }
}

/// A dataset in CIFAR's binary format: 32x32 colour images.
protocol CIFARDataset: ImageDataset {
    static var format: CIFARFormat { get }
}

extension CIFARDataset {
    static var channels: Int { 3 }
    static var height: Int { 32 }
    static var width: Int { 32 }
    static var classCount: Int { format.classCount }

    /// The official archive unpacks into its own folder; the files are accepted inside it or moved up.
    static func searchFolders(in folder: String) -> [String] { ["\(folder)/\(format.archiveFolder)", folder] }

    static var requiredFiles: [[String]] { (format.trainFiles + format.testFiles).map { [$0] } }

    static func load(_ paths: [String], folder: String) throws -> (train: DatasetSplit, test: DatasetSplit, classNames: [String]?) {
        let trainCount = format.trainFiles.count
        let namesPath = "\(folder)/\(format.namesFile)"
        return (try format.read(Array(paths[..<trainCount])), try format.read(Array(paths[trainCount...])),
                FileManager.default.fileExists(atPath: namesPath) ? try format.classNames(namesPath) : nil)
    }

    static func counts(_ paths: [String]) throws -> (train: Int, test: Int) {
        let counts = try paths.map(format.recordCount)
        let trainCount = format.trainFiles.count
        return (counts[..<trainCount].reduce(0, +), counts[trainCount...].reduce(0, +))
    }
}
