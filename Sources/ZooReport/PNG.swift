import CZlib
import Foundation
import ZooFoundation

/// 8-bit grayscale or RGB PNG images, compressed with the system zlib, for the report page's data URIs.
public enum PNG {
    /// `pixels` is channels x height x width (planar, as datasets store images); 1 or 3 channels.
    public static func encode(planar pixels: [UInt8], channels: Int, height: Int, width: Int) throws -> [UInt8] {
        guard channels == 1 || channels == 3, height > 0, width > 0, pixels.count == channels * height * width else {
            throw ZooError("cannot encode \(pixels.count) bytes as a \(channels)x\(height)x\(width) PNG image",
                           hint: "this is a bug in zoo's report page; please report it")
        }
        // Each row: filter type 0, then the row's pixels interleaved.
        var rows = [UInt8](repeating: 0, count: height * (1 + width * channels))
        let plane = height * width
        for y in 0..<height {
            let rowStart = y * (1 + width * channels) + 1
            for x in 0..<width {
                for channel in 0..<channels {
                    rows[rowStart + x * channels + channel] = pixels[channel * plane + y * width + x]
                }
            }
        }
        var header: [UInt8] = []
        appendBigEndian(UInt32(width), to: &header)
        appendBigEndian(UInt32(height), to: &header)
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        appendChunk("IHDR", header, to: &file)
        appendChunk("IDAT", try deflate(rows), to: &file)
        appendChunk("IEND", [], to: &file)
        return file
    }

    public static func dataURI(_ png: [UInt8]) -> String { "data:image/png;base64," + Data(png).base64EncodedString() }

    private static func deflate(_ bytes: [UInt8]) throws -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = output.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBufferPointer { source in
                compress2(destination.baseAddress, &length, source.baseAddress, uLong(source.count), Z_BEST_COMPRESSION)
            }
        }
        guard status == Z_OK else {
            throw ZooError("zlib could not compress an image (status \(status))", hint: "the system is probably out of memory")
        }
        return Array(output.prefix(Int(length)))
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &file)
        let typed = Array(type.utf8) + data
        file += typed
        let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        appendBigEndian(UInt32(crc), to: &file)
    }

    private static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
