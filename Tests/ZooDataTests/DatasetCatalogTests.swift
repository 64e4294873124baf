import XCTest
import ZooTestSupport
import ZooFoundation
@testable import ZooData

final class DatasetCatalogTests: XCTestCase {
    func testRealMNIST() throws {
        try Prerequisite.requireMNIST()
        let dataset = try DatasetCatalog.load(.mnist, dataDirectory: Prerequisite.datasets)
        XCTAssertEqual(dataset.train.count, 60000)
        XCTAssertEqual(dataset.test.count, 10000)
        XCTAssertEqual(dataset.train.images.count, 60000 * 784)
        var histogram = [Int](repeating: 0, count: 10)
        for label in dataset.train.labels { histogram[Int(label)] += 1 }
        XCTAssertEqual(histogram, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
        XCTAssertEqual(dataset.classNames, (0 ..< 10).map(String.init))
    }

    func testRealFashionMNIST() throws {
        let folder = "/usr/share/datasets/fashion-mnist"
        try Prerequisite.require(FileManager.default.fileExists(atPath: folder), "Fashion-MNIST at \(folder)",
                                 install: "apt-get install dataset-fashion-mnist")
        let dataset = try DatasetCatalog.load(.fashionMNIST, dataDirectory: try temporaryFolder())
        XCTAssertEqual(dataset.location, folder)
        XCTAssertEqual(dataset.train.count, 60000)
        XCTAssertEqual(dataset.test.count, 10000)
        var histogram = [Int](repeating: 0, count: 10)
        for label in dataset.train.labels { histogram[Int(label)] += 1 }
        XCTAssertEqual(histogram, [Int](repeating: 6000, count: 10))
        XCTAssertEqual(dataset.classNames[9], "Ankle boot")
    }

    func testBothFileSpellingsRawOrGzipped() throws {
        for (dotted, gzipped) in [(false, true), (true, false), (true, true), (false, false)] {
            let root = try temporaryFolder()
            try writeMNIST(in: "\(root)/mnist", dotted: dotted, gzipped: gzipped)
            let dataset = try DatasetCatalog.load(.mnist, dataDirectory: root)
            XCTAssertEqual(dataset.train.count, 12)
            XCTAssertEqual(dataset.test.count, 5)
            XCTAssertEqual(dataset.train.labels[11], 1)
            XCTAssertEqual(dataset.train.images[7 * 784 + 300], 7)
            XCTAssertEqual(dataset.defaultNormalization, Normalization(mean: [0.1307], std: [0.3081]))
        }
    }

    func testMissingDatasetSaysWhereItLookedAndHowToGetIt() throws {
        let root = try temporaryFolder()
        assertZooError(["\(root)/mnist", "data/mnist", "zoo data fetch mnist"]) {
            _ = try DatasetCatalog.load(.mnist, dataDirectory: root)
        }
        // Fashion-MNIST may be installed system-wide here, so check the search list and hint rather than the error.
        XCTAssertEqual(DatasetCatalog.searchFolders(for: .fashionMNIST, dataDirectory: root).last, "/usr/share/datasets/fashion-mnist")
        XCTAssertTrue(DatasetName.fashionMNIST.installHint.contains("apt-get install dataset-fashion-mnist"))
    }

    func testSearchOrderDataDirectoryThenZooDataThenLocal() throws {
        let explicit = try temporaryFolder(), environment = try temporaryFolder()
        try writeMNIST(in: "\(environment)/mnist", trainCount: 3)
        setenv("ZOO_DATA", environment, 1)
        defer { unsetenv("ZOO_DATA") }
        XCTAssertEqual(DatasetCatalog.searchFolders(for: .mnist, dataDirectory: explicit),
                       ["\(explicit)/mnist", "\(environment)/mnist", "data/mnist"])
        XCTAssertEqual(try DatasetCatalog.load(.mnist, dataDirectory: explicit).location, "\(environment)/mnist")
        try writeMNIST(in: "\(explicit)/mnist", trainCount: 4)
        XCTAssertEqual(try DatasetCatalog.load(.mnist, dataDirectory: explicit).train.count, 4)
    }

    func testIncompleteFolderNamesTheMissingFile() throws {
        let root = try temporaryFolder()
        try writeMNIST(in: "\(root)/mnist")
        try FileManager.default.removeItem(atPath: "\(root)/mnist/t10k-labels-idx1-ubyte.gz")
        assertZooError(["\(root)/mnist", "t10k-labels-idx1-ubyte"]) { _ = try DatasetCatalog.load(.mnist, dataDirectory: root) }
    }

    func testImageAndLabelCountsDisagree() throws {
        let root = try temporaryFolder()
        try writeMNIST(in: "\(root)/mnist")
        try write(gzip(idx([11], [UInt8](repeating: 0, count: 11))), to: "\(root)/mnist/train-labels-idx1-ubyte.gz")
        assertZooError(["train-labels-idx1-ubyte.gz at byte 4", "11 labels", "12 images"]) {
            _ = try DatasetCatalog.load(.mnist, dataDirectory: root)
        }
    }

    func testLabelOutOfRange() throws {
        let root = try temporaryFolder()
        try writeMNIST(in: "\(root)/mnist", gzipped: false)
        try write(idx([5], [0, 1, 2, 12, 4]), to: "\(root)/mnist/t10k-labels-idx1-ubyte")
        assertZooError(["t10k-labels-idx1-ubyte at byte 11", "label 12"]) { _ = try DatasetCatalog.load(.mnist, dataDirectory: root) }
    }

    func testWrongImageSize() throws {
        let root = try temporaryFolder()
        try writeMNIST(in: "\(root)/mnist", gzipped: false)
        try write(idx([12, 27, 29], [UInt8](repeating: 0, count: 12 * 27 * 29)), to: "\(root)/mnist/train-images-idx3-ubyte")
        assertZooError(["train-images-idx3-ubyte at byte 8", "27x29"]) { _ = try DatasetCatalog.load(.mnist, dataDirectory: root) }
    }

    func testZeroByteFile() throws {
        let root = try temporaryFolder()
        try writeMNIST(in: "\(root)/mnist", gzipped: false)
        try write([], to: "\(root)/mnist/train-images-idx3-ubyte")
        assertZooError(["train-images-idx3-ubyte at byte 0", "empty"]) { _ = try DatasetCatalog.load(.mnist, dataDirectory: root) }
    }

    func testSummaryReadsOnlyHeaders() throws {
        let root = try temporaryFolder()
        try writeMNIST(in: "\(root)/mnist")
        try writeCIFAR10(in: "\(root)/cifar10", recordsPerFile: 2)
        let mnist = DatasetCatalog.summary(.mnist, dataDirectory: root)
        XCTAssertEqual(mnist.location, "\(root)/mnist")
        XCTAssertEqual(mnist.trainCount, 12)
        XCTAssertEqual(mnist.testCount, 5)
        let cifar = DatasetCatalog.summary(.cifar10, dataDirectory: root)
        XCTAssertEqual(cifar.trainCount, 10)
        XCTAssertEqual(cifar.testCount, 2)
        XCTAssertEqual(cifar.channels, 3)
        let missing = DatasetCatalog.summary(.cifar100, dataDirectory: root)
        XCTAssertNil(missing.location)
        XCTAssertNotNil(missing.problem)
    }

    func testOutputShapeWithoutFiles() {
        func shape(_ name: DatasetName, _ transforms: [Transform]) -> ImageShape {
            ImageShape(channels: name.channels, height: name.height, width: name.width).after(transforms)
        }
        XCTAssertEqual(shape(.mnist, [.padTo(32)]), ImageShape(channels: 1, height: 32, width: 32))
        XCTAssertEqual(shape(.cifar10, [.randomCrop(size: 32, padding: 4), .horizontalFlip]), ImageShape(channels: 3, height: 32, width: 32))
        XCTAssertEqual(shape(.fashionMNIST, [.permutePixels(seed: 3)]), ImageShape(channels: 1, height: 28, width: 28))
        XCTAssertEqual(shape(.mnist, [.randomCrop(size: 24, padding: 0)]), ImageShape(channels: 1, height: 24, width: 24))
    }

    func testParseNames() throws {
        XCTAssertEqual(try DatasetName.parse("Fashion-MNIST"), .fashionMNIST)
        assertZooError(["imagenet", "cifar10"]) { _ = try DatasetName.parse("imagenet") }
    }
}
