import XCTest
@testable import ZooData
import ZooFoundation

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

    func testJoinsMembersAndIgnoresTrailingBytesThatStartNoMember() throws {
        let folder = try temporaryFolder()
        let first: [UInt8] = Array(repeating: 1, count: 3000), second: [UInt8] = [2, 3, 4]
        try write(gzip(first) + gzip(second), to: "\(folder)/two.gz")
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/two.gz"), first + second)
        try write(gzip(second) + [0, 0, 0, 0], to: "\(folder)/padded.gz")
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/padded.gz"), second)
        try write(gzip(second) + Array(gzip(first).prefix(20)), to: "\(folder)/cut-second.gz")
        assertZooError(["cut-second.gz at byte", "truncated"]) { _ = try Gzip.contents(of: "\(folder)/cut-second.gz") }
    }

    func testLimitStopsInflatingWithinOneChunk() throws {
        let folder = try temporaryFolder()
        // 50 MB of zeros deflate to about 50 KB, one read: the limit must hold inside it.
        try write(gzip([UInt8](repeating: 0, count: 50 << 20)), to: "\(folder)/zeros.gz")
        XCTAssertLessThanOrEqual(try Gzip.contents(of: "\(folder)/zeros.gz", limit: 16).count, 1 << 18)
    }

    /// A whole-file read stops at the memory budget, inflated or not, instead of growing without end.
    func testAWholeReadBeyondTheMemoryBudgetIsAnError() throws {
        let folder = try temporaryFolder()
        try write(gzip([UInt8](repeating: 0, count: 50 << 20)), to: "\(folder)/bomb.gz")
        try write([UInt8](repeating: 7, count: 3 << 20), to: "\(folder)/plain")
        MemoryBudget.setLimit(2 << 20, origin: "a test")
        defer { MemoryBudget.resetLimit() }
        assertZooError(["bomb.gz at byte", "more than the memory budget", "gzip bomb"]) { _ = try Gzip.contents(of: "\(folder)/bomb.gz") }
        assertZooError(["plain", "more than the memory budget"]) { _ = try Gzip.contents(of: "\(folder)/plain") }
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/bomb.gz", limit: 16).prefix(16), ArraySlice(repeating: 0, count: 16))
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
