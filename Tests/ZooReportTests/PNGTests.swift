import CZlib
import XCTest
import ZooReport

final class PNGTests: XCTestCase {
    private func chunks(_ png: [UInt8]) -> [(type: String, data: [UInt8], crc: UInt32)] {
        var result: [(String, [UInt8], UInt32)] = []
        var offset = 8
        func bigEndian(_ at: Int) -> UInt32 { png[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) } }
        while offset + 12 <= png.count {
            let length = Int(bigEndian(offset))
            result.append((String(decoding: png[(offset + 4)..<(offset + 8)], as: UTF8.self),
                           Array(png[(offset + 8)..<(offset + 8 + length)]), bigEndian(offset + 8 + length)))
            offset += 12 + length
        }
        return result
    }

    private func inflate(_ data: [UInt8], size: Int) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var length = uLongf(size)
        let status = output.withUnsafeMutableBufferPointer { out in
            data.withUnsafeBufferPointer { uncompress(out.baseAddress, &length, $0.baseAddress, uLong($0.count)) }
        }
        XCTAssertEqual(status, Z_OK)
        return Array(output.prefix(Int(length)))
    }

    /// A 3x2 RGB image from planar bytes: signature, header fields, chunk CRCs, and rows of interleaved pixels.
    func testRGBImageFromPlanarBytes() throws {
        let red: [UInt8] = [1, 2, 3, 4, 5, 6], green: [UInt8] = [11, 12, 13, 14, 15, 16], blue: [UInt8] = [21, 22, 23, 24, 25, 26]
        let png = try PNG.encode(planar: red + green + blue, channels: 3, height: 2, width: 3)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let parts = chunks(png)
        XCTAssertEqual(parts.map(\.type), ["IHDR", "IDAT", "IEND"])
        for part in parts {
            let typed = Array(part.type.utf8) + part.data
            XCTAssertEqual(UInt32(typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }), part.crc, part.type)
        }
        XCTAssertEqual(parts[0].data, [0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0])
        XCTAssertEqual(inflate(parts[1].data, size: 64), [0, 1, 11, 21, 2, 12, 22, 3, 13, 23,
                                                          0, 4, 14, 24, 5, 15, 25, 6, 16, 26])
    }

    func testGrayscaleImageAndDataURI() throws {
        let png = try PNG.encode(planar: [0, 255, 128, 7], channels: 1, height: 2, width: 2)
        let parts = chunks(png)
        XCTAssertEqual(parts[0].data[9], 0, "colour type 0: grayscale")
        XCTAssertEqual(inflate(parts[1].data, size: 64), [0, 0, 255, 0, 128, 7])
        XCTAssertTrue(PNG.dataURI(png).hasPrefix("data:image/png;base64,iVBORw0KGgo"))
    }

    func testMismatchedSizeIsAnError() {
        XCTAssertThrowsError(try PNG.encode(planar: [1, 2, 3], channels: 1, height: 2, width: 2))
        XCTAssertThrowsError(try PNG.encode(planar: [1, 2, 3, 4], channels: 2, height: 1, width: 2))
    }
}
