import XCTest
@testable import ZooData

final class IDXTests: XCTestCase {
    private func check(_ bytes: [UInt8], mentions fragments: [String], gzipped: Bool = false) throws {
        let path = try temporaryFolder() + "/train-images-idx3-ubyte" + (gzipped ? ".gz" : "")
        try write(gzipped ? gzip(bytes) : bytes, to: path)
        assertZooError(["train-images-idx3-ubyte"] + fragments) { _ = try IDXFile.read(path, dimensionCount: 3) }
    }

    func testReadsDimensionsAndValues() throws {
        let path = try temporaryFolder() + "/x.gz"
        try write(gzip(idx([2, 3, 4], Array(0 ..< 24))), to: path)
        let file = try IDXFile.read(path, dimensionCount: 3)
        XCTAssertEqual(file.dimensions, [2, 3, 4])
        XCTAssertEqual(file.values, Array(0 ..< 24))
        XCTAssertEqual(try IDXFile.readDimensions(path, dimensionCount: 3), [2, 3, 4])
    }

    func testEmptyFile() throws { try check([], mentions: ["at byte 0", "empty"]) }

    func testWrongMagicNumber() throws {
        try check([0, 0, 9, 3] + Array(repeating: 0, count: 12), mentions: ["at byte 0", "magic"])
        try check(idx([1, 2], [0, 0]), mentions: ["at byte 3", "2 dimensions"])
    }

    func testTruncatedHeader() throws { try check([0, 0, 8, 3, 0, 0], mentions: ["at byte 6"]) }

    func testTruncatedValues() throws {
        try check(Array(idx([2, 28, 28], [UInt8](repeating: 1, count: 1000)).prefix(16 + 900)), mentions: ["at byte 916", "truncated"],
                  gzipped: true)
    }

    func testTrailingBytes() throws {
        try check(idx([1, 2, 2], [1, 2, 3, 4, 5]), mentions: ["at byte 20", "unexpected"])
    }
}
