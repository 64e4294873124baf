import Foundation

/// Protocol Buffers wire encoding, enough to write TensorBoard events and ONNX models.
///
/// zoo only writes these messages, never parses them, so a few lines of encoder replace a generated
/// library (and its build plugin): each message builder in `TensorBoardEvents.swift` and `ONNXModel.swift`
/// lists its field numbers, taken from the `.proto` files of the pip packages `tensorboard` 2.21
/// (`tensorboard/compat/proto/event.proto`, `summary.proto`) and `onnx` 1.23 (`onnx/onnx.proto`).
/// The tests read every file back with those packages' own parsers.
public struct ProtobufMessage {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// A message built in one expression: `.with { $0.string(1, key); $0.string(2, value) }`.
    public static func with(_ build: (inout ProtobufMessage) -> Void) -> ProtobufMessage {
        var message = ProtobufMessage()
        build(&message)
        return message
    }

    private enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    private mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func appendKey(_ field: Int, _ wireType: WireType) {
        appendVarint(UInt64(field) << 3 | wireType.rawValue)
    }

    /// int64, int32 and enum fields (negative values take ten bytes, as protobuf specifies).
    public mutating func int(_ field: Int, _ value: Int64) {
        appendKey(field, .varint)
        appendVarint(UInt64(bitPattern: value))
    }

    public mutating func double(_ field: Int, _ value: Double) {
        appendKey(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func float(_ field: Int, _ value: Float) {
        appendKey(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func bytes(_ field: Int, _ value: [UInt8]) {
        appendKey(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    public mutating func string(_ field: Int, _ value: String) { bytes(field, Array(value.utf8)) }

    public mutating func message(_ field: Int, _ value: ProtobufMessage) { bytes(field, value.bytes) }

    /// A packed repeated int64 field.
    public mutating func packedInts(_ field: Int, _ values: [Int64]) {
        var packed = ProtobufMessage()
        for value in values { packed.appendVarint(UInt64(bitPattern: value)) }
        bytes(field, packed.bytes)
    }
}
