import Foundation
import XCTest
@testable import ZooCore

final class SafetensorsTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    // MARK: Round trip and interoperability

    func testRoundTripInMemory() throws {
        let original = SafetensorsFile(
            tensors: [
                "weight": SafetensorsTensor(floats: [1.5, -2, .pi, 0, -0.0, .infinity], shape: [2, 3]),
                "labels": SafetensorsTensor(int64s: [0, -1, .max, .min], shape: [4]),
                "empty": SafetensorsTensor(floats: [], shape: [0, 3]),
                "bytes": SafetensorsTensor(dtype: "U8", shape: [3], bytes: [1, 2, 255]),
            ],
            metadata: ["kind": "checkpoint", "note": "quote \" backslash \\ newline \n tab \t é"])
        let bytes = original.encoded()
        let decoded = try SafetensorsFile.decode(bytes, name: "memory")
        XCTAssertEqual(decoded.tensors, original.tensors)
        XCTAssertEqual(decoded.metadata, original.metadata)
        XCTAssertEqual(try decoded.tensor("weight").floats, [1.5, -2, .pi, 0, -0.0, .infinity])
        XCTAssertEqual(try decoded.tensor("labels").int64s, [0, -1, .max, .min])

        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0, "data must start 8-byte aligned")
        let header = String(decoding: bytes[8..<8 + headerLength], as: UTF8.self)
        let order = ["\"__metadata__\"", "\"bytes\"", "\"empty\"", "\"labels\"", "\"weight\""]
            .map { header.range(of: $0)?.lowerBound ?? header.endIndex }
        XCTAssertEqual(order, order.sorted(), "metadata first, then tensors sorted by name")
    }

    func testWriteThenReadFromDisk() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("safetensors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("last.safetensors").path
        let first = SafetensorsFile(tensors: ["a": SafetensorsTensor(floats: [1, 2], shape: [2])], metadata: ["step": "1"])
        try first.write(to: path)
        let second = SafetensorsFile(tensors: ["a": SafetensorsTensor(floats: [3, 4, 5], shape: [3])], metadata: ["step": "2"])
        try second.write(to: path)

        let read = try SafetensorsFile.read(path: path)
        XCTAssertEqual(read.tensors, second.tensors)
        XCTAssertEqual(read.metadata, ["step": "2"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["last.safetensors"],
                       "no temporary file is left behind")
    }

    func testReadsFileWrittenByPythonSafetensors() throws {
        let path = Self.fixtures.appendingPathComponent("layer_relu.safetensors").path
        let file = try SafetensorsFile.read(path: path)
        XCTAssertEqual(file.metadata["kind"], "layer")
        XCTAssertEqual(file.metadata["mode"], "train")
        XCTAssertEqual(Set(file.tensors.keys), ["input", "output", "grad_output", "grad_input"])
        let input = try file.tensor("input").floats
        XCTAssertEqual(file.tensors["input"]?.shape, [2, 3, 5, 5])
        XCTAssertEqual(input.count, 150)
        XCTAssertEqual(try file.tensor("output").floats, input.map { max($0, 0) })
        let gradOutput = try file.tensor("grad_output").floats
        XCTAssertEqual(try file.tensor("grad_input").floats, zip(input, gradOutput).map { $0 > 0 ? $1 : 0 })

        // Python wrote these bytes (tensors of one dtype, sorted metadata): encoding must reproduce them exactly.
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(file.encoded(), original)
    }

    func testReadsInt64LabelsWrittenByPython() throws {
        let file = try SafetensorsFile.read(path: Self.fixtures.appendingPathComponent("net_lenet.safetensors").path)
        let labels = try file.tensor("labels")
        XCTAssertEqual(labels.dtype, "I64")
        XCTAssertEqual(labels.shape, [4])
        XCTAssertTrue(try labels.int64s.allSatisfy { (0..<10).contains($0) })
        XCTAssertEqual(file.tensors["param.0.weight"]?.shape, [6, 1, 5, 5])
        XCTAssertEqual(file.metadata["input_shape"], "[4,1,28,28]")
    }

    func testTypedAccessorRejectsOtherDtype() {
        let labels = SafetensorsTensor(int64s: [1, 2], shape: [2])
        XCTAssertThrowsError(try labels.floats) { error in
            XCTAssertTrue("\(error)".contains("I64"), "\(error)")
        }
    }

    func testMissingTensorNamesTheOthers() {
        let file = SafetensorsFile(tensors: ["a": SafetensorsTensor(floats: [1], shape: [1])])
        XCTAssertThrowsError(try file.tensor("b", in: "run/last.safetensors")) { error in
            XCTAssertEqual((error as? ZooError)?.hint, "the file has: a")
        }
    }

    // MARK: Corrupt files: each error names the byte where the problem is

    /// A file from a literal header (padded like the reference) and data bytes.
    private func file(header: String, data: [UInt8] = []) -> [UInt8] {
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)
        return lengthPrefix(UInt64(headerBytes.count)) + headerBytes + data
    }

    private func lengthPrefix(_ length: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) }
    }

    /// Decodes `bytes` and checks the error's place and that its message mentions `phrase`.
    private func assertRejects(_ bytes: [UInt8], at offset: Int, saying phrase: String, line: UInt = #line) {
        XCTAssertThrowsError(try SafetensorsFile.decode(bytes, name: "run/last.safetensors"), line: line) { error in
            guard let error = error as? ZooError else { return XCTFail("not a ZooError: \(error)", line: line) }
            XCTAssertEqual(error.place, "run/last.safetensors at byte \(offset)", line: line)
            XCTAssertTrue(error.message.contains(phrase), "message: \(error.message)", line: line)
            XCTAssertNotNil(error.hint, line: line)
            XCTAssertTrue(error.description.hasPrefix("run/last.safetensors at byte \(offset): error: "), line: line)
        }
    }

    private let validEntry = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    func testValidHelperFileDecodes() throws {
        XCTAssertEqual(try SafetensorsFile.decode(file(header: validEntry, data: Array(repeating: 0, count: 8)), name: "x")
            .tensors["a"]?.shape, [2])
    }

    func testMissingFile() {
        XCTAssertThrowsError(try SafetensorsFile.read(path: "/nonexistent/run/last.safetensors")) { error in
            XCTAssertEqual((error as? ZooError)?.place, "/nonexistent/run/last.safetensors")
            XCTAssertEqual((error as? ZooError)?.message, "file not found")
        }
    }

    func testShorterThanHeaderLength() {
        assertRejects([1, 2, 3], at: 0, saying: "too short")
    }

    func testHeaderLengthPastEndOfFile() {
        assertRejects(lengthPrefix(64) + Array("{}".utf8), at: 0, saying: "runs past the end")
    }

    func testAbsurdHeaderLength() {
        assertRejects(lengthPrefix(UInt64.max), at: 0, saying: "absurd")
        assertRejects(lengthPrefix(200_000_000), at: 0, saying: "absurd")
    }

    func testHeaderNotJSON() {
        assertRejects(file(header: "{\"a\": "), at: 8, saying: "not valid JSON")
    }

    func testHeaderNotAnObject() {
        assertRejects(file(header: "[1, 2]"), at: 8, saying: "not an object")
    }

    func testMetadataNotStrings() {
        assertRejects(file(header: #"{"__metadata__":{"step":3}}"#), at: 9, saying: "__metadata__")
    }

    func testEntryMissingDtype() {
        assertRejects(file(header: #"{"a":{"shape":[2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "has no dtype")
    }

    func testEntryMissingShape() {
        assertRejects(file(header: #"{"a":{"dtype":"F32","data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "has no shape")
    }

    func testEntryMissingDataOffsets() {
        assertRejects(file(header: #"{"a":{"dtype":"F32","shape":[2]}}"#, data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "has no data_offsets")
    }

    func testEntryPlaceIsItsKey() {
        let header = #"{"ok":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"bad":{"dtype":"F32"}}"#
        let offset = 8 + header.utf8.count - #""bad":{"dtype":"F32"}}"#.utf8.count
        assertRejects(file(header: header, data: [0]), at: offset, saying: "'bad' has no shape")
    }

    func testUnknownDtype() {
        assertRejects(file(header: #"{"a":{"dtype":"BF16","shape":[4],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "unknown dtype BF16")
    }

    func testNegativeDimension() {
        assertRejects(file(header: #"{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "non-negative")
    }

    func testOffsetsEndingPastTheData() {
        assertRejects(file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "tensor 'a' data_offsets [0, 16] fall outside the 8-byte data region")
    }

    /// Tiles the 4 data bytes exactly with the right byte count, so only the sign check stops it reading header bytes.
    func testOffsetsBeginningBeforeTheData() {
        assertRejects(file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[-4,4]}}"#, data: Array(repeating: 0, count: 4)),
                      at: 9, saying: "tensor 'a' data_offsets [-4, 4] fall outside the 4-byte data region")
    }

    func testOffsetsInReverse() {
        assertRejects(file(header: #"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}"#, data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "tensor 'a' data_offsets [8, 0] fall outside the 8-byte data region")
    }

    /// The format is UTF-8 JSON: a Latin-1 byte in a name is refused at its offset, and so is a header in
    /// UTF-16, which JSONSerialization would read.
    func testHeaderNotUTF8() {
        var bytes = file(header: #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8))
        bytes[10] = 0xE9
        assertRejects(bytes, at: 10, saying: "header is not valid UTF-8 JSON text")
        let utf16 = Array(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        assertRejects(lengthPrefix(UInt64(utf16.count)) + utf16 + Array(repeating: 0, count: 8), at: 9, saying: "header is not valid UTF-8 JSON text")
    }

    func testDuplicateTensorNames() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}, "a" :{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        assertRejects(file(header: header, data: Array(repeating: 0, count: 8)), at: 8 + 55, saying: "the header names 'a' twice")
        // The same name inside another object (here the metadata) is no repeat.
        let shared = #"{"__metadata__":{"a":"x"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        XCTAssertEqual(try SafetensorsFile.decode(file(header: shared, data: Array(repeating: 0, count: 8)), name: "x").tensors["a"]?.shape, [2])
    }

    func testOffsetsNotMatchingShape() {
        assertRejects(file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "has 8 bytes but shape [3] of F32 needs 12")
    }

    func testShapeElementCountOverflow() {
        let huge = Int.max / 2
        assertRejects(file(header: #"{"a":{"dtype":"F32","shape":[\#(huge),\#(huge)],"data_offsets":[0,8]}}"#,
                           data: Array(repeating: 0, count: 8)),
                      at: 9, saying: "too many elements")
    }

    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let bytes = file(header: header, data: Array(repeating: 0, count: 12))
        let dataStart = bytes.count - 12
        assertRejects(bytes, at: dataStart + 4, saying: "'b' (data bytes 4..<12) overlaps tensor 'a'")
    }

    func testGapBetweenTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let bytes = file(header: header, data: Array(repeating: 0, count: 12))
        assertRejects(bytes, at: bytes.count - 12 + 4, saying: "data bytes 4..<8 belong to no tensor")
    }

    func testEveryTruncationOfARealFileThrows() throws {
        let path = Self.fixtures.appendingPathComponent("layer_linear.safetensors").path
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try SafetensorsFile.decode(Array(bytes[0..<length]), name: "cut"), "length \(length)")
        }
    }

    func testTrailingBytesBelongToNoTensor() {
        let bytes = file(header: validEntry, data: Array(repeating: 0, count: 10))
        assertRejects(bytes, at: bytes.count - 2, saying: "data bytes 8..<10 belong to no tensor")
    }
}

final class SafetensorsHostileFileTests: XCTestCase {
    /// A 2 GB sparse file is refused from its first 8 bytes, without reading the rest.
    func testHugeSparseFileIsRefusedFromItsHeader() throws {
        let path = NSTemporaryDirectory() + "zoo-sparse-\(UUID().uuidString).safetensors"
        defer { unlink(path) }
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: nil))
        XCTAssertEqual(truncate(path, 2_000_000_000), 0)
        XCTAssertThrowsError(try SafetensorsFile.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("header is not valid JSON"), "\(error)")
        }
    }

    func testNonFiniteCheckpointTensorsAreRefusedByName() throws {
        let path = NSTemporaryDirectory() + "zoo-nan-\(UUID().uuidString).safetensors"
        defer { unlink(path) }
        let network = try Network(layers: [.init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(2))])], inputShape: Shape([1, 2, 2]))
        var checkpoint = try Checkpoint(network: network, optimizer: nil, metadata: [:])
        checkpoint.parameters["1.bias"] = SafetensorsTensor(floats: [1, .nan], shape: [2])
        try checkpoint.write(to: path)
        XCTAssertThrowsError(try Checkpoint.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("tensor `1.bias` holds nan at element 1"), "\(error)")
        }
    }

    func testCheckpointCountersAreRangeChecked() throws {
        let path = NSTemporaryDirectory() + "zoo-counter-\(UUID().uuidString).safetensors"
        defer { unlink(path) }
        let network = try Network(layers: [.init(type: "flatten")], inputShape: Shape([1, 2, 2]))
        var checkpoint = try Checkpoint(network: network, optimizer: nil, metadata: [:])
        for bad in ["-5", "abc", "99999999999999999999"] {
            checkpoint.metadata["training_step"] = bad
            try checkpoint.write(to: path)
            XCTAssertThrowsError(try Checkpoint.read(path: path)) { error in
                XCTAssertTrue("\(error)".contains("metadata key `training_step`: must be a whole number"), "\(error)")
            }
        }
    }
}
