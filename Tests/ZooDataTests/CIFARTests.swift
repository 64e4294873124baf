import XCTest
import ZooFoundation
@testable import ZooData

/// A CIFAR record whose red plane holds `value`, green `value + 1`, blue `value + 2`, except that pixel
/// (row 1, column 2) of each plane is 200 + channel, to check it lands in the right NCHW place.
func cifarRecord(labels: [UInt8], value: UInt8) -> [UInt8] {
    var record = labels
    for channel in 0 ..< 3 {
        var plane = [UInt8](repeating: value &+ UInt8(channel), count: 1024)
        plane[1 * 32 + 2] = 200 + UInt8(channel)
        record += plane
    }
    return record
}

/// Writes CIFAR-10 batches where record r of each file has label r % 10; returns the folder.
func writeCIFAR10(in folder: String, recordsPerFile: Int = 3, names: [String]? = nil) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for file in CIFAR10.format.trainFiles + CIFAR10.format.testFiles {
        let bytes = (0 ..< recordsPerFile).flatMap { cifarRecord(labels: [UInt8($0 % 10)], value: UInt8($0 * 10)) }
        try write(bytes, to: "\(folder)/\(file)")
    }
    if let names { try (names.joined(separator: "\n") + "\n\n").write(toFile: "\(folder)/batches.meta.txt", atomically: true, encoding: .utf8) }
}

final class CIFARTests: XCTestCase {
    func testCIFAR10PixelsLandInNCHWPlaces() throws {
        let root = try temporaryFolder()
        try writeCIFAR10(in: "\(root)/cifar10/cifar-10-batches-bin")
        let dataset = try DatasetCatalog.load(.cifar10, dataDirectory: root)
        XCTAssertEqual(dataset.location, "\(root)/cifar10/cifar-10-batches-bin")
        XCTAssertEqual(dataset.train.count, 15)
        XCTAssertEqual(dataset.test.count, 3)
        XCTAssertEqual(dataset.classNames[0], "airplane")
        XCTAssertEqual(dataset.classNames[9], "truck")
        XCTAssertEqual(Array(dataset.train.labels[..<4]), [0, 1, 2, 0])
        let imageBytes = 3 * 32 * 32
        let image = 2
        for channel in 0 ..< 3 {
            let plane = image * imageBytes + channel * 1024
            XCTAssertEqual(dataset.train.images[plane], UInt8(20 + channel))
            XCTAssertEqual(dataset.train.images[plane + 1 * 32 + 2], UInt8(200 + channel))
        }
    }

    func testClassNamesComeFromBatchesMeta() throws {
        let root = try temporaryFolder()
        let names = (0 ..< 10).map { "thing \($0)" }
        try writeCIFAR10(in: "\(root)/cifar10", names: names)
        XCTAssertEqual(try DatasetCatalog.load(.cifar10, dataDirectory: root).classNames, names)
    }

    func testWrongNumberOfClassNames() throws {
        let root = try temporaryFolder()
        try writeCIFAR10(in: "\(root)/cifar10", names: ["a", "b"])
        assertZooError(["batches.meta.txt at byte 0", "2 class names"]) { _ = try DatasetCatalog.load(.cifar10, dataDirectory: root) }
    }

    func testSizeNotAMultipleOfTheRecord() throws {
        let root = try temporaryFolder()
        try writeCIFAR10(in: "\(root)/cifar10")
        try write([UInt8](repeating: 1, count: 3073 * 2 + 100), to: "\(root)/cifar10/data_batch_3.bin")
        assertZooError(["data_batch_3.bin at byte 6146", "3073"]) { _ = try DatasetCatalog.load(.cifar10, dataDirectory: root) }
    }

    func testEmptyBatch() throws {
        let root = try temporaryFolder()
        try writeCIFAR10(in: "\(root)/cifar10")
        try write([], to: "\(root)/cifar10/test_batch.bin")
        assertZooError(["test_batch.bin at byte 0", "empty"]) { _ = try DatasetCatalog.load(.cifar10, dataDirectory: root) }
    }

    func testLabelOutOfRange() throws {
        let root = try temporaryFolder()
        try writeCIFAR10(in: "\(root)/cifar10")
        try write(cifarRecord(labels: [1], value: 0) + cifarRecord(labels: [10], value: 0), to: "\(root)/cifar10/data_batch_1.bin")
        assertZooError(["data_batch_1.bin at byte 3073", "label 10"]) { _ = try DatasetCatalog.load(.cifar10, dataDirectory: root) }
    }

    func testCIFAR100UsesTheFineLabel() throws {
        let root = try temporaryFolder()
        let folder = "\(root)/cifar100/cifar-100-binary"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try write(cifarRecord(labels: [3, 77], value: 5) + cifarRecord(labels: [19, 99], value: 6), to: "\(folder)/train.bin")
        try write(cifarRecord(labels: [0, 42], value: 7), to: "\(folder)/test.bin")
        let dataset = try DatasetCatalog.load(.cifar100, dataDirectory: root)
        XCTAssertEqual(dataset.train.labels, [77, 99])
        XCTAssertEqual(dataset.test.labels, [42])
        XCTAssertEqual(dataset.train.images[3072 + 1024], 7)
        XCTAssertEqual(dataset.classNames.count, 100)

        try write([UInt8](repeating: 0, count: 10003), to: "\(folder)/test.bin")
        // A CIFAR-100 record is 2 label bytes + 3072 pixels = 3074 bytes; 10003 = 3 * 3074 + 781.
        assertZooError(["test.bin at byte 9222", "3074"]) { _ = try DatasetCatalog.load(.cifar100, dataDirectory: root) }
    }
}
