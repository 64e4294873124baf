import XCTest
@testable import ZooData

final class GzipTests: XCTestCase {
    func testInflatesGzipAndPassesRawFilesThrough() throws {
        let folder = try temporaryFolder()
        let bytes = (0 ..< 700_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }
        try write(gzip(bytes), to: "\(folder)/a.gz")
        try write(bytes, to: "\(folder)/a")
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/a.gz"), bytes)
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/a"), bytes)
        let head = try Gzip.contents(of: "\(folder)/a.gz", limit: 16)
        XCTAssertGreaterThanOrEqual(head.count, 16)
        XCTAssertEqual(Array(head[..<16]), Array(bytes[..<16]))
    }

    func testCorruptStreamNamesFileAndOffset() throws {
        let folder = try temporaryFolder()
        var compressed = gzip((0 ..< 5000).map { UInt8(truncatingIfNeeded: $0 * $0) })
        for index in 12 ..< 40 { compressed[index] ^= 0x5a }
        try write(compressed, to: "\(folder)/bad.gz")
        assertZooError(["bad.gz at byte", "corrupt gzip"]) { _ = try Gzip.contents(of: "\(folder)/bad.gz") }
    }

    func testTruncatedStreamNamesFileAndOffset() throws {
        let folder = try temporaryFolder()
        let compressed = gzip((0 ..< 5000).map { UInt8(truncatingIfNeeded: $0 * $0) })
        try write(Array(compressed[..<(compressed.count / 2)]), to: "\(folder)/cut.gz")
        assertZooError(["cut.gz at byte \(compressed.count / 2)", "truncated"]) { _ = try Gzip.contents(of: "\(folder)/cut.gz") }
    }

    func testMissingFileIsAnError() {
        assertZooError(["/nonexistent/x.gz"]) { _ = try Gzip.contents(of: "/nonexistent/x.gz") }
    }
}
