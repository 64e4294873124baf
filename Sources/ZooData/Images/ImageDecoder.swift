import CSPNG
import CTurboJPEG
import Foundation
import ZooFoundation

/// An 8-bit image as rows of interleaved channels: 1 (gray) or 3 (RGB).
public struct DecodedImage: Sendable, Equatable {
    public var width, height, channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        (self.width, self.height, self.channels, self.pixels) = (width, height, channels, pixels)
    }
}

/// PNG (libspng) and JPEG (libjpeg-turbo) decoding, chosen by the file's first bytes, not its name.
/// As PIL's `Image.open(...).convert("RGB")` or `convert("L")`: alpha is dropped (not composited), palettes are
/// expanded, 16-bit samples keep their high byte, gray images stay gray. The declared size is read from the
/// header and checked against `maximumSide` and the memory budget before a single row is decoded.
public enum ImageDecoder {
    /// Larger sides come from damage or a decompression bomb, not from a photo.
    public static let maximumSide = 30_000
    /// The fraction of what is left of the memory budget one decode may take: every core decodes at once.
    static var decodeShare: Int { max(ProcessInfo.processInfo.activeProcessorCount, 1) * 2 }

    public static func isImage(_ bytes: UnsafeRawBufferPointer) -> Bool { format(of: bytes) != nil }

    enum Format { case png, jpeg }

    static func format(of bytes: UnsafeRawBufferPointer) -> Format? {
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        return nil
    }

    /// Decodes a whole file's bytes; `file` names it in errors.
    public static func decode(_ bytes: UnsafeRawBufferPointer, file: String) throws -> DecodedImage {
        switch format(of: bytes) {
        case .png: return try PNGDecoder(bytes, file: file).decode()
        case .jpeg: return try JPEGDecoder(file: file).decode(bytes)
        case nil:
            throw ZooError(bytes.isEmpty ? "the file is empty" : "the file is neither a PNG nor a JPEG image (its first bytes say otherwise)",
                           place: file, hint: "replace it with a PNG or JPEG image, or remove it")
        }
    }

    public static func decode(_ bytes: [UInt8], file: String) throws -> DecodedImage {
        try bytes.withUnsafeBytes { try decode($0, file: file) }
    }

    /// Refuses a declared size that is absurd or would not fit in the memory budget; returns the decoded byte count.
    /// `workingBytesPerPixel`: what the decoder allocates besides the output.
    static func checkDeclaredSize(width: Int, height: Int, bytesPerPixel: Int, file: String, workingBytesPerPixel: Int = 0) throws -> Int {
        guard (1...maximumSide).contains(width), (1...maximumSide).contains(height) else {
            throw ZooError("the header declares \(width)x\(height) pixels, a damaged file or a decompression bomb: zoo reads images of 1 to "
                           + "\(maximumSide) pixels a side", place: file, hint: "replace or remove the file")
        }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        let (bytes, overflow2) = pixels.multipliedReportingOverflow(by: bytesPerPixel)
        let (needed, overflow3) = pixels.multipliedReportingOverflow(by: bytesPerPixel + workingBytesPerPixel)
        let available = max(MemoryBudget.limitBytes - MemoryBudget.reservedBytes, 0) / decodeShare
        guard !overflow, !overflow2, !overflow3, needed <= available else {
            throw ZooError("the header declares \(width)x\(height) pixels, \(byteSize(needed)) to decode, more than the "
                           + "\(byteSize(available)) one image may take of the memory budget", place: file,
                           hint: "shrink the image, or raise the budget with --max-memory")
        }
        return bytes
    }

    /// PIL's RGB to L: ITU-R 601-2 luma, L = R * 299/1000 + G * 587/1000 + B * 114/1000, in its 16-bit fixed point.
    @inline(__always) static func luma(_ red: UInt8, _ green: UInt8, _ blue: UInt8) -> UInt8 {
        let weighted: UInt32 = UInt32(red) * 19595 + UInt32(green) * 38470 + UInt32(blue) * 7471
        return UInt8((weighted + 0x8000) >> 16)
    }
}

extension DecodedImage {
    /// The image with `channels` channels: gray to RGB repeats the value, RGB to gray as PIL's `convert("L")`.
    public func converted(toChannels target: Int) -> DecodedImage {
        guard target != channels else { return self }
        let count = width * height
        var output = [UInt8](repeating: 0, count: count * target)
        if target == 1 {
            for index in 0..<count {
                output[index] = ImageDecoder.luma(pixels[3 * index], pixels[3 * index + 1], pixels[3 * index + 2])
            }
        } else {
            for index in 0..<count {
                let value = pixels[index]
                (output[3 * index], output[3 * index + 1], output[3 * index + 2]) = (value, value, value)
            }
        }
        return DecodedImage(width: width, height: height, channels: target, pixels: output)
    }

    /// Channels x height x width, as datasets store images.
    public var planar: [UInt8] {
        guard channels > 1 else { return pixels }
        let plane = width * height
        var output = [UInt8](repeating: 0, count: pixels.count)
        for index in 0..<plane {
            for channel in 0..<channels { output[channel * plane + index] = pixels[index * channels + channel] }
        }
        return output
    }
}

/// One libspng decoding context, freed with it.
private final class PNGDecoder {
    let context: OpaquePointer
    let file: String

    init(_ bytes: UnsafeRawBufferPointer, file: String) throws {
        guard let context = spng_ctx_new(0) else { throw ZooError("libspng could not allocate a decoder", hint: "the system is out of memory") }
        self.context = context
        self.file = file
        // Text and other ancillary chunks are kept in memory: cap them (a real image's are small).
        try check(spng_set_chunk_limits(context, 16 << 20, 64 << 20))
        try check(spng_set_image_limits(context, UInt32(ImageDecoder.maximumSide), UInt32(ImageDecoder.maximumSide)))
        try check(spng_set_png_buffer(context, bytes.baseAddress, bytes.count))
    }

    deinit { spng_ctx_free(context) }

    func check(_ status: CInt) throws {
        guard status != 0 else { return }
        let reason = String(cString: spng_strerror(status))
        throw ZooError("not a readable PNG image: \(reason)", place: file, hint: "the file is damaged or truncated; replace or remove it")
    }

    func decode() throws -> DecodedImage {
        var header = spng_ihdr()
        let status = spng_get_ihdr(context, &header)
        if status == CInt(SPNG_EWIDTH.rawValue) || status == CInt(SPNG_EHEIGHT.rawValue) || status == CInt(SPNG_EUSER_WIDTH.rawValue)
            || status == CInt(SPNG_EUSER_HEIGHT.rawValue) {
            // libspng refuses the header before handing it over; read the declared size for the message.
            throw ZooError("the header declares a width or height above \(ImageDecoder.maximumSide) pixels: a damaged file or a decompression bomb",
                           place: file, hint: "replace or remove the file")
        }
        try check(status)
        let (width, height) = (Int(header.width), Int(header.height))
        let byteCount = try ImageDecoder.checkDeclaredSize(width: width, height: height, bytesPerPixel: 3, file: file)
        var length = 0
        try check(spng_decoded_image_size(context, CInt(SPNG_FMT_RGB8.rawValue), &length))
        guard length == byteCount else {
            throw ZooError("libspng sizes the image at \(length) bytes, not \(byteCount)", place: file, hint: "replace or remove the file")
        }
        var rgb = [UInt8](repeating: 0, count: length)
        // Without SPNG_DECODE_TRNS alpha and tRNS are ignored, as PIL's convert("RGB") drops them.
        try rgb.withUnsafeMutableBytes { output in
            try check(spng_decode_image(context, output.baseAddress, output.count, CInt(SPNG_FMT_RGB8.rawValue), 0))
        }
        let image = DecodedImage(width: width, height: height, channels: 3, pixels: rgb)
        let gray = header.color_type == UInt8(SPNG_COLOR_TYPE_GRAYSCALE.rawValue) || header.color_type == UInt8(SPNG_COLOR_TYPE_GRAYSCALE_ALPHA.rawValue)
        // A gray PNG decodes to R = G = B: keep one.
        return gray ? DecodedImage(width: width, height: height, channels: 1, pixels: stride(from: 0, to: rgb.count, by: 3).map { rgb[$0] }) : image
    }
}

/// One libjpeg-turbo decompressor, destroyed with it.
private final class JPEGDecoder {
    let handle: tjhandle
    let file: String

    init(file: String) throws {
        guard let handle = tjInitDecompress() else { throw ZooError("libjpeg-turbo could not allocate a decoder", hint: "the system is out of memory") }
        self.handle = handle
        self.file = file
    }

    deinit { tjDestroy(handle) }

    func check(_ status: CInt) throws {
        guard status != 0 else { return }
        let reason = String(cString: tjGetErrorStr2(handle))
        throw ZooError("not a readable JPEG image: \(reason)", place: file, hint: "the file is damaged or truncated; replace or remove it")
    }

    func decode(_ bytes: UnsafeRawBufferPointer) throws -> DecodedImage {
        let source = bytes.bindMemory(to: UInt8.self)
        var (width, height, subsampling, colorspace): (CInt, CInt, CInt, CInt) = (0, 0, 0, 0)
        try check(tjDecompressHeader3(handle, source.baseAddress, UInt(source.count), &width, &height, &subsampling, &colorspace))
        let gray = colorspace == CInt(TJCS_GRAY.rawValue)
        let channels = gray ? 1 : 3
        // libjpeg-turbo keeps 2-byte coefficients of every component for a progressive or multi-scan file: charged too.
        let byteCount = try ImageDecoder.checkDeclaredSize(width: Int(width), height: Int(height), bytesPerPixel: channels, file: file,
                                                           workingBytesPerPixel: 2 * channels)
        var pixels = [UInt8](repeating: 0, count: byteCount)
        // Stop on warnings (a truncated file is one), as PIL refuses a truncated image; cap progressive scans (a known bomb).
        let flags = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS
        try pixels.withUnsafeMutableBufferPointer { output in
            try check(tjDecompress2(handle, source.baseAddress, UInt(source.count), output.baseAddress, width, 0, height,
                                    gray ? CInt(TJPF_GRAY.rawValue) : CInt(TJPF_RGB.rawValue), flags))
        }
        return DecodedImage(width: Int(width), height: Int(height), channels: channels, pixels: pixels)
    }
}
