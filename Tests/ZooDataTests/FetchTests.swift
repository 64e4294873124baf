import XCTest
import ZooTestSupport
@testable import ZooData

/// Python's http.server on 127.0.0.1 (never another address), serving one folder on a free port.
final class LoopbackServer {
    let process = Process()
    let baseURL: String

    init(serving folder: String) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", """
            import functools, http.server, sys
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """, folder]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { throw Prerequisite.missing("python3", install: "apt-get install python3") }
        // The port is printed once the socket is bound; EOF (empty read) means the server died.
        var text = ""
        while !text.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw Prerequisite.missing("python3's http.server on 127.0.0.1", install: "install python3 (apt-get install python3) and allow loopback sockets")
        }
        baseURL = "http://127.0.0.1:\(port)/"
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}

final class FetchTests: XCTestCase {
    private var logged: [String] = []
    private func log(_ line: String) { logged.append(line) }

    func testDownloadsAndChecksFiles() throws {
        let served = try temporaryFolder()
        let images = gzip(idx([3, 28, 28], [UInt8](repeating: 4, count: 3 * 784)))
        try write(images, to: "\(served)/train-images-idx3-ubyte.gz")
        try write([1, 2, 3], to: "\(served)/plain.bin")
        let server = try LoopbackServer(serving: served)
        let target = try temporaryFolder() + "/mnist"
        let files = [
            RemoteFile(name: "train-images-idx3-ubyte.gz", sha256: SHA256.hex(of: idx([3, 28, 28], [UInt8](repeating: 4, count: 3 * 784))),
                       checksumIsOfContent: true),
            RemoteFile(name: "plain.bin", sha256: SHA256.hex(of: [1, 2, 3])),
        ]
        try DatasetFetcher.fetch(files, mirror: server.baseURL, into: target, log: log)
        XCTAssertEqual(try Gzip.contents(of: "\(target)/plain.bin"), [1, 2, 3])
        XCTAssertEqual(try Gzip.contents(of: "\(target)/train-images-idx3-ubyte.gz", limit: nil).count, 16 + 3 * 784)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target).sorted(), ["plain.bin", "train-images-idx3-ubyte.gz"])

        // A second fetch keeps the files that check out.
        try DatasetFetcher.fetch(files, mirror: server.baseURL, into: target, log: log)
        XCTAssertTrue(logged.last?.contains("already present") ?? false, "\(logged)")
    }

    func testWrongChecksumIsRefusedAndLeavesNothing() throws {
        let served = try temporaryFolder()
        try write([1, 2, 3], to: "\(served)/plain.bin")
        let server = try LoopbackServer(serving: served)
        let target = try temporaryFolder() + "/mnist"
        let wrong = RemoteFile(name: "plain.bin", sha256: SHA256.hex(of: [1, 2, 4]))
        assertZooError(["SHA-256 mismatch", "127.0.0.1", SHA256.hex(of: [1, 2, 3])]) {
            try DatasetFetcher.fetch([wrong], mirror: server.baseURL, into: target, log: log)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), [])
    }

    func testMissingFileOnServer() throws {
        let server = try LoopbackServer(serving: try temporaryFolder())
        let target = try temporaryFolder()
        assertZooError(["HTTP 404", "nothing.bin"]) {
            try DatasetFetcher.fetch([RemoteFile(name: "nothing.bin", sha256: "")], mirror: server.baseURL, into: target, log: log)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), [])
    }

    func testFetchesAndUnpacksACIFARArchive() throws {
        let source = try temporaryFolder()
        try writeCIFAR10(in: "\(source)/batches", recordsPerFile: 2)
        let names = CIFAR10.format.trainFiles + CIFAR10.format.testFiles
        let served = try temporaryFolder()
        try writeTarball("\(served)/cifar-10-binary.tar.gz", try names.map {
            ("cifar-10-batches-bin/\($0)", try Gzip.contents(of: "\(source)/batches/\($0)"))
        })
        let server = try LoopbackServer(serving: served)
        let root = try temporaryFolder()
        let archive = RemoteFile(name: "cifar-10-binary.tar.gz", sha256: try SHA256.hex(ofFile: "\(served)/cifar-10-binary.tar.gz"),
                                 isArchive: true)
        try DatasetFetcher.fetch([archive], mirror: server.baseURL, into: "\(root)/cifar10", log: log)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: "\(root)/cifar10"), ["cifar-10-batches-bin"])
        let dataset = try DatasetCatalog.load(.cifar10, dataDirectory: root)
        XCTAssertEqual(dataset.train.count, 10)
        XCTAssertEqual(dataset.test.labels, [0, 1])
    }

    func testKnownSourcesMatchTheLocalCopies() throws {
        for (name, folder) in [(DatasetName.mnist, "\(Prerequisite.datasets)/mnist"), (.fashionMNIST, "/usr/share/datasets/fashion-mnist")] {
            guard FileManager.default.fileExists(atPath: folder) else { continue }
            // Label files only: hashing the image files takes most of a minute in a debug build.
            let files = try XCTUnwrap(DatasetFetcher.source(for: name)).files
            for file in files where file.name.contains("labels") {
                XCTAssertEqual(SHA256.hex(of: try Gzip.contents(of: "\(folder)/\(file.name)")), file.sha256, file.name)
            }
        }
        XCTAssertNil(DatasetFetcher.source(for: .cifar100))
    }
}
