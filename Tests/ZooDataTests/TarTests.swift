import XCTest
import ZooTestSupport
@testable import ZooData

/// Runs python3 (used to build archives exactly as real tools do); skips the test when it is missing.
func python(_ script: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    do { try process.run() } catch { throw Prerequisite.missing("python3", install: "apt-get install python3") }
    process.waitUntilExit()
    XCTAssertEqual(process.terminationStatus, 0, "python3 failed")
}

/// Writes a .tar.gz holding `entries` (archive name -> content) with Python's tarfile, which
/// stores names as given, `..` and leading `/` included; `format` is tarfile's GNU_FORMAT or PAX_FORMAT.
func writeTarball(_ path: String, _ entries: [(String, [UInt8])], format: String = "GNU_FORMAT") throws {
    let folder = (path as NSString).deletingLastPathComponent
    var arguments = [path, format]
    for (index, (name, bytes)) in entries.enumerated() {
        try write(bytes, to: "\(folder)/entry\(index)")
        arguments += [name, "\(folder)/entry\(index)"]
    }
    try python("""
        import sys, tarfile
        with tarfile.open(sys.argv[1], "w:gz", format=getattr(tarfile, sys.argv[2])) as archive:
            for name, source in zip(sys.argv[3::2], sys.argv[4::2]):
                info = archive.gettarinfo(source, arcname=name)
                info.name = name
                with open(source, "rb") as data:
                    archive.addfile(info, data)
        """, arguments)
}

final class TarTests: XCTestCase {
    func testExtractsFilesAndFolders() throws {
        let folder = try temporaryFolder()
        let long = String(repeating: "d", count: 120) + "/file.bin"
        try writeTarball("\(folder)/a.tar.gz", [("top/one.bin", [1, 2, 3]), ("./top/sub/two.bin", [UInt8](repeating: 9, count: 1000)),
                                                (long, [7])])
        try FileManager.default.createDirectory(atPath: "\(folder)/out", withIntermediateDirectories: true)
        try Tar.extract(Gzip.contents(of: "\(folder)/a.tar.gz"), path: "a.tar.gz", into: "\(folder)/out")
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/out/top/one.bin"), [1, 2, 3])
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/out/top/sub/two.bin"), [UInt8](repeating: 9, count: 1000))
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/out/\(long)"), [7])
    }

    func testRefusesAbsoluteAndParentPaths() throws {
        for name in ["/abs", "../x", "fine/../../x"] {
            let folder = try temporaryFolder()
            try writeTarball("\(folder)/bad.tar.gz", [("ok.bin", [1]), (name, [2])])
            try FileManager.default.createDirectory(atPath: "\(folder)/out", withIntermediateDirectories: true)
            assertZooError(["bad.tar.gz at byte 1024", "refusing", name]) {
                try Tar.extract(Gzip.contents(of: "\(folder)/bad.tar.gz"), path: "bad.tar.gz", into: "\(folder)/out")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/x"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: "/abs"))
        }
    }

    func testPaxPathNamesTheNextEntryAndIsChecked() throws {
        let folder = try temporaryFolder()
        let long = String(repeating: "p", count: 120) + "/file.bin"
        try writeTarball("\(folder)/pax.tar.gz", [(long, [4])], format: "PAX_FORMAT")
        try FileManager.default.createDirectory(atPath: "\(folder)/out", withIntermediateDirectories: true)
        try Tar.extract(Gzip.contents(of: "\(folder)/pax.tar.gz"), path: "pax.tar.gz", into: "\(folder)/out")
        XCTAssertEqual(try Gzip.contents(of: "\(folder)/out/\(long)"), [4])

        let escaping = String(repeating: "q", count: 120) + "/../../x"
        try writeTarball("\(folder)/bad.tar.gz", [(escaping, [5])], format: "PAX_FORMAT")
        assertZooError(["bad.tar.gz at byte 1024", "refusing", escaping]) {
            try Tar.extract(Gzip.contents(of: "\(folder)/bad.tar.gz"), path: "bad.tar.gz", into: "\(folder)/out")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(folder)/x"))
    }

    func testTruncatedAndCorruptArchives() throws {
        let folder = try temporaryFolder()
        try writeTarball("\(folder)/a.tar.gz", [("one.bin", [UInt8](repeating: 5, count: 3000))])
        let archive = try Gzip.contents(of: "\(folder)/a.tar.gz")
        assertZooError(["a.tar at byte 0", "truncated"]) { try Tar.extract(Array(archive[..<2000]), path: "a.tar", into: folder) }
        var corrupt = archive
        corrupt[10] ^= 0xff
        assertZooError(["a.tar at byte 0", "checksum"]) { try Tar.extract(corrupt, path: "a.tar", into: folder) }
        assertZooError(["a.tar at byte 0", "end-of-archive"]) { try Tar.extract([], path: "a.tar", into: folder) }
    }
}
