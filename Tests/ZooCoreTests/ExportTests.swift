import XCTest
@testable import ZooCore

/// The encoders behind `zoo export` and TensorBoard event files, on hand-checked cases. The files they make
/// are read back by onnx, onnxruntime, PyTorch and TensorBoard in ZooCLITests.
final class ExportTests: XCTestCase {
    /// RFC 3720 (iSCSI) appendix B.4 test vectors, and TensorBoard's masked_crc32c for "123456789" and "".
    func testCRC32CKnownVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }), 0x113F_DB5C)
        XCTAssertEqual(CRC32C.masked(Array("123456789".utf8)), 0xC78A_B0E5)
        XCTAssertEqual(CRC32C.masked([]), 0xA282_EAD8)
    }

    /// The examples of the protobuf encoding guide: 150 as field 1, "testing" as field 2; and the other wire types.
    func testProtobufWireEncoding() {
        var message = ProtobufMessage()
        message.int(1, 150)
        XCTAssertEqual(message.bytes, [0x08, 0x96, 0x01])
        message = ProtobufMessage()
        message.string(2, "testing")
        XCTAssertEqual(message.bytes, [0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6E, 0x67])
        message = ProtobufMessage()
        message.int(3, -1)
        XCTAssertEqual(message.bytes, [0x18] + [UInt8](repeating: 0xFF, count: 9) + [0x01], "negative int64: ten bytes")
        message = ProtobufMessage()
        message.float(2, 1)
        message.double(1, 2)
        XCTAssertEqual(message.bytes, [0x15, 0, 0, 0x80, 0x3F, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x40])
        message = ProtobufMessage()
        message.packedInts(8, [3, 270])
        XCTAssertEqual(message.bytes, [0x42, 0x03, 0x03, 0x8E, 0x02])
        var outer = ProtobufMessage()
        outer.message(5, message)
        XCTAssertEqual(outer.bytes, [0x2A, 0x05] + message.bytes)
    }

    private func layer(_ type: String, _ name: String? = nil, _ arguments: [String: ArgumentValue] = [:]) -> LayerDescription {
        LayerDescription(type: type, name: name, arguments: arguments.mapValues { LayerArgument($0) })
    }

    /// Weights and buffers under their state_dict names, num_batches_tracked an int64 scalar per batchnorm, nothing else.
    func testStateDictHasPyTorchNamesAndBatchnormCounters() throws {
        let network = try Network(layers: [
            layer("conv2d", "conv1", ["out": .int(2), "kernel": .int(3)]), layer("batchnorm", "bn1"), layer("relu"),
            layer("flatten"), layer("linear", nil, ["out": .int(3)]), layer("batchnorm"),
        ], inputShape: Shape([1, 5, 5]))
        network.trainingStep = 42
        let file = try StateDict.file(network: network, metadata: ["format": "pt"])
        XCTAssertEqual(Set(file.tensors.keys), [
            "conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked",
            "4.weight", "4.bias", "5.weight", "5.bias", "5.running_mean", "5.running_var", "5.num_batches_tracked",
        ])
        let counter = try XCTUnwrap(file.tensors["bn1.num_batches_tracked"])
        XCTAssertEqual(counter.dtype, "I64")
        XCTAssertEqual(counter.shape, [])
        XCTAssertEqual(try counter.int64s, [42])
        XCTAssertEqual(try file.tensors["conv1.weight"]?.floats, try network.parameter(named: "conv1.weight")?.read())
        XCTAssertNotEqual(file.metadata["format"], Checkpoint.format, "not mistaken for a zoo checkpoint")
    }

    /// Node order, operators and attributes for a small network; initializers carry the weights.
    func testONNXGraphNamesEveryLayer() throws {
        let network = try Network(layers: [
            layer("conv2d", "conv1", ["out": .int(2), "kernel": .int(3), "padding": .int(1)]), layer("maxpool2d", nil, ["kernel": .int(2)]),
            layer("flatten"), layer("dropout"), layer("linear", "fc", ["out": .int(3)]),
        ], inputShape: Shape([1, 4, 4]))
        let bytes = try ONNXModel.encode(network: network, mean: [0.5], std: [0.25], metadata: ["class_names": "[]"])
        let text = String(decoding: bytes, as: UTF8.self)
        for name in ["Sub", "Div", "Conv", "MaxPool", "Flatten", "Gemm", "Identity", "conv1.weight", "fc.bias", "kernel_shape", "transB",
                     "normalize.mean", "class_names", "batch"] {
            XCTAssertTrue(text.contains(name), "\(name) missing")
        }
        XCTAssertFalse(text.contains("Dropout"), "dropout is the identity at inference and adds no node")
    }
}
