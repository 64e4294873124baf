import Foundation
import XCTest
import ZooFoundation
import ZooReport

final class TensorBoardEventsTests: XCTestCase {
    /// A TFRecord frame: u64 length, masked CRC-32C of those 8 bytes, the data, masked CRC-32C of the data.
    /// Masked CRCs checked against TensorBoard's own `masked_crc32c`.
    func testRecordFraming() {
        let record = TensorBoardEventWriter.record(Array("123456789".utf8))
        XCTAssertEqual(Array(record.prefix(8)), [9, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(record[12..<21]), Array("123456789".utf8))
        let dataCRC = record[21..<25].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        XCTAssertEqual(dataCRC, 0xC78A_B0E5)
        XCTAssertEqual(record.count, 25)
    }

    /// The file starts with the version event; each scalar is one more whole record.
    func testEventFileHoldsTheVersionThenOneRecordPerScalar() throws {
        let folder = NSTemporaryDirectory() + "zoo-events-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let writer = try TensorBoardEventWriter(directory: folder)
        try writer.scalar("train/loss", 0.5, step: 7)
        XCTAssertTrue((writer.path as NSString).lastPathComponent.hasPrefix("events.out.tfevents."))
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        var offset = 0
        var payloads: [[UInt8]] = []
        while offset < bytes.count {
            let length = Int(bytes[offset..<(offset + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            XCTAssertEqual(TensorBoardEventWriter.record(Array(bytes[(offset + 12)..<(offset + 12 + length)])),
                           Array(bytes[offset..<(offset + 16 + length)]))
            payloads.append(Array(bytes[(offset + 12)..<(offset + 12 + length)]))
            offset += 16 + length
        }
        XCTAssertEqual(offset, bytes.count)
        XCTAssertEqual(payloads.count, 2)
        XCTAssertTrue(String(decoding: payloads[0], as: UTF8.self).contains("brain.Event:2"))
        // step = 7 (field 2, varint), then summary (field 5) holding value (field 1): tag, simple_value 0.5 as float.
        XCTAssertEqual(Array(payloads[1][9..<11]), [0x10, 7])
        XCTAssertEqual(Array(payloads[1].suffix(5)), [0x15, 0, 0, 0, 0x3F])
    }

    func testMissingFolderIsAnError() {
        XCTAssertThrowsError(try TensorBoardEventWriter(directory: "/nonexistent-zoo-folder")) { error in
            XCTAssertTrue("\(error)".contains("cannot create the TensorBoard event file"))
        }
    }
}
