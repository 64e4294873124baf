import CZlib
import Foundation
import XCTest
import ZooFoundation

extension XCTestCase {
    /// A fresh folder, removed when the test ends.
    func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "zoo-data-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Asserts that `body` throws a ZooError whose text mentions every one of `fragments`.
    func assertZooError(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected an error mentioning \(fragments)", file: file, line: line)
        } catch let error as ZooError {
            XCTAssertNotNil(error.hint, "error has no hint: \(error)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(error.description.contains(fragment), "'\(error)' does not mention '\(fragment)'", file: file, line: line)
            }
        } catch {
            XCTFail("expected a ZooError, got \(error)", file: file, line: line)
        }
    }
}

func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Gzip-compresses with zlib, as the files are distributed.
func gzip(_ bytes: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    deflateInit2_(&stream, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))) + 32)
    var input = bytes
    let produced = input.withUnsafeMutableBufferPointer { input in
        output.withUnsafeMutableBufferPointer { output -> Int in
            stream.next_in = input.baseAddress
            stream.avail_in = uInt(input.count)
            stream.next_out = output.baseAddress
            stream.avail_out = uInt(output.count)
            deflate(&stream, Z_FINISH)
            return Int(stream.total_out)
        }
    }
    return Array(output[..<produced])
}

/// An IDX file of unsigned bytes.
func idx(_ dimensions: [Int], _ values: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, 8, UInt8(dimensions.count)]
    for size in dimensions { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: size >> $0) } }
    return bytes + values
}

/// Writes a small MNIST-like dataset: image i of a split has every pixel equal to i, label i % 10.
func writeMNIST(in folder: String, trainCount: Int = 12, testCount: Int = 5, dotted: Bool = false, gzipped: Bool = true) throws {
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    for (prefix, count) in [("train", trainCount), ("t10k", testCount)] {
        let images = idx([count, 28, 28], (0 ..< count).flatMap { [UInt8](repeating: UInt8($0), count: 784) })
        let labels = idx([count], (0 ..< count).map { UInt8($0 % 10) })
        for (kind, bytes) in [("images-idx3", images), ("labels-idx1", labels)] {
            var name = "\(prefix)-\(kind)-ubyte"
            if dotted { name = name.replacingOccurrences(of: "-idx", with: ".idx") }
            try write(gzipped ? gzip(bytes) : bytes, to: "\(folder)/\(name)\(gzipped ? ".gz" : "")")
        }
    }
}
