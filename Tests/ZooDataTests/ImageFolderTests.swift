import CSPNG
import CTurboJPEG
import CZlib
import Foundation
import XCTest
import ZooFoundation
@testable import ZooData

/// PNG and JPEG decoding, PIL-exact resizing and gray conversion, and folders of images as datasets, hostile ones included.
final class ImageFolderTests: XCTestCase {
    // MARK: Writers: libspng's encoder and libjpeg-turbo's compressor, so the tests need no Python.

    /// A PNG of `rows` (raw samples as the colour type and bit depth pack them) through libspng's encoder.
    static func png(width: Int, height: Int, colorType: spng_color_type, bitDepth: UInt8, samples: [UInt8],
                    palette: [(UInt8, UInt8, UInt8)] = [], transparency: [UInt8] = []) throws -> [UInt8] {
        let context = try XCTUnwrap(spng_ctx_new(CInt(SPNG_CTX_ENCODER.rawValue)))
        defer { spng_ctx_free(context) }
        XCTAssertEqual(spng_set_option(context, SPNG_ENCODE_TO_BUFFER, 1), 0)
        var header = spng_ihdr(width: UInt32(width), height: UInt32(height), bit_depth: bitDepth, color_type: UInt8(colorType.rawValue),
                               compression_method: 0, filter_method: 0, interlace_method: 0)
        XCTAssertEqual(spng_set_ihdr(context, &header), 0)
        if !palette.isEmpty {
            var plte = spng_plte()
            plte.n_entries = UInt32(palette.count)
            withUnsafeMutableBytes(of: &plte.entries) { entries in
                for (index, colour) in palette.enumerated() {
                    (entries[4 * index], entries[4 * index + 1], entries[4 * index + 2], entries[4 * index + 3]) = (colour.0, colour.1, colour.2, 255)
                }
            }
            XCTAssertEqual(spng_set_plte(context, &plte), 0)
        }
        if !transparency.isEmpty {
            var trns = spng_trns()
            trns.n_type3_entries = UInt32(transparency.count)
            withUnsafeMutableBytes(of: &trns.type3_alpha) { for (index, alpha) in transparency.enumerated() { $0[index] = alpha } }
            XCTAssertEqual(spng_set_trns(context, &trns), 0)
        }
        let status = samples.withUnsafeBytes { spng_encode_image(context, $0.baseAddress, $0.count, CInt(SPNG_FMT_PNG.rawValue), CInt(SPNG_ENCODE_FINALIZE.rawValue)) }
        XCTAssertEqual(status, 0, String(cString: spng_strerror(status)))
        var length = 0, error: CInt = 0
        let buffer = try XCTUnwrap(spng_get_png_buffer(context, &length, &error))
        defer { free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    /// An 8-bit gray or RGB PNG of interleaved pixels.
    static func png(_ image: DecodedImage) throws -> [UInt8] {
        try png(width: image.width, height: image.height, colorType: image.channels == 1 ? SPNG_COLOR_TYPE_GRAYSCALE : SPNG_COLOR_TYPE_TRUECOLOR,
                bitDepth: 8, samples: image.pixels)
    }

    /// A JPEG at quality 95: gray when the image has one channel; progressive on request.
    static func jpeg(_ image: DecodedImage, progressive: Bool = false) throws -> [UInt8] {
        let handle = try XCTUnwrap(tjInitCompress())
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>?
        var size: UInt = 0
        let gray = image.channels == 1
        let status = image.pixels.withUnsafeBufferPointer {
            tjCompress2(handle, $0.baseAddress, CInt(image.width), 0, CInt(image.height), gray ? CInt(TJPF_GRAY.rawValue) : CInt(TJPF_RGB.rawValue),
                        &buffer, &size, gray ? CInt(TJSAMP_GRAY.rawValue) : CInt(TJSAMP_444.rawValue), 95, progressive ? TJFLAG_PROGRESSIVE : 0)
        }
        XCTAssertEqual(status, 0)
        defer { tjFree(buffer) }
        return Array(UnsafeBufferPointer(start: try XCTUnwrap(buffer), count: Int(size)))
    }

    /// A recognisable image: a gradient, different per seed.
    static func pattern(width: Int, height: Int, channels: Int, seed: Int = 0) -> DecodedImage {
        DecodedImage(width: width, height: height, channels: channels, pixels: (0..<(width * height * channels)).map { UInt8(truncatingIfNeeded: $0 * 7 + seed * 31) })
    }

    // MARK: Decoding

    func testPNGOfEveryColourTypeAndBitDepthDecodesAsPILConvertsIt() throws {
        // Gray at 1, 2, 4, 8 and 16 bits: values scaled to 8 bits (16-bit keeps the high byte; libspng's encoder
        // takes 16-bit samples in host order, little-endian here); one channel.
        for (depth, samples, expected) in [(UInt8(1), [UInt8(0b1010_0000)], [UInt8(255), 0, 255, 0]), (2, [0b0001_1011], [0, 85, 170, 255]),
                                           (4, [0x0F, 0x80], [0, 255, 136, 0]), (8, [1, 2, 3, 4], [1, 2, 3, 4]),
                                           (16, [0x12, 0x34, 0xAB, 0xCD, 0, 0, 0xFF, 0xFF], [0x34, 0xCD, 0, 0xFF])] {
            let file = try Self.png(width: 4, height: 1, colorType: SPNG_COLOR_TYPE_GRAYSCALE, bitDepth: depth, samples: samples)
            XCTAssertEqual(try ImageDecoder.decode(file, file: "gray\(depth).png"), DecodedImage(width: 4, height: 1, channels: 1, pixels: expected), "depth \(depth)")
        }
        // Gray with alpha: alpha dropped, not composited.
        let grayAlpha = try Self.png(width: 2, height: 1, colorType: SPNG_COLOR_TYPE_GRAYSCALE_ALPHA, bitDepth: 8, samples: [10, 0, 20, 255])
        XCTAssertEqual(try ImageDecoder.decode(grayAlpha, file: "ga.png").pixels, [10, 20])
        // RGB at 8 and 16 bits, RGBA: three channels, alpha dropped.
        let rgb16 = try Self.png(width: 1, height: 1, colorType: SPNG_COLOR_TYPE_TRUECOLOR, bitDepth: 16, samples: [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try ImageDecoder.decode(rgb16, file: "rgb16.png"), DecodedImage(width: 1, height: 1, channels: 3, pixels: [2, 4, 6]))
        let rgba = try Self.png(width: 1, height: 1, colorType: SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, bitDepth: 8, samples: [9, 8, 7, 0])
        XCTAssertEqual(try ImageDecoder.decode(rgba, file: "rgba.png").pixels, [9, 8, 7])
        // A 2-bit palette with transparency: colours expanded, transparency ignored.
        let palette = try Self.png(width: 4, height: 1, colorType: SPNG_COLOR_TYPE_INDEXED, bitDepth: 2, samples: [0b0001_1011],
                                   palette: [(1, 2, 3), (40, 50, 60), (200, 0, 0), (0, 0, 255)], transparency: [0, 128])
        XCTAssertEqual(try ImageDecoder.decode(palette, file: "palette.png").pixels, [1, 2, 3, 40, 50, 60, 200, 0, 0, 0, 0, 255])
    }

    func testJPEGBaselineProgressiveAndGrayDecodeCloseToTheirSource() throws {
        let colour = Self.pattern(width: 16, height: 8, channels: 3)
        let smooth = DecodedImage(width: 16, height: 8, channels: 3, pixels: (0..<(16 * 8 * 3)).map { UInt8($0 % 48 * 5) })
        for progressive in [false, true] {
            let decoded = try ImageDecoder.decode(try Self.jpeg(smooth, progressive: progressive), file: "photo.jpg")
            XCTAssertEqual([decoded.width, decoded.height, decoded.channels], [16, 8, 3])
            let error = zip(decoded.pixels, smooth.pixels).map { abs(Int($0) - Int($1)) }.reduce(0, +) / smooth.pixels.count
            XCTAssertLessThan(error, 12, "progressive \(progressive)")
        }
        XCTAssertEqual(try ImageDecoder.decode(try Self.jpeg(colour), file: "c.jpg").channels, 3)
        let gray = try ImageDecoder.decode(try Self.jpeg(Self.pattern(width: 8, height: 8, channels: 1)), file: "gray.jpg")
        XCTAssertEqual(gray.channels, 1)
    }

    func testResizeAndGrayConversionMatchPILToTheBit() {
        // Pillow 11: Image.fromarray(a).resize((2, 3), Image.BOX), resize((3, 5), Image.BILINEAR), convert("L").
        let source = DecodedImage(width: 5, height: 4, channels: 1, pixels: [10, 200, 30, 40, 250, 0, 255, 128, 64, 32, 7, 77, 177, 99, 1, 50, 60, 70, 80, 90])
        XCTAssertEqual(source.resized(height: 3, width: 2).pixels, [80, 145, 108, 49, 60, 85])
        let small = DecodedImage(width: 2, height: 2, channels: 1, pixels: [0, 100, 200, 255])
        XCTAssertEqual(small.resized(height: 5, width: 3).pixels, [0, 50, 100, 20, 68, 115, 100, 139, 178, 180, 210, 240, 200, 228, 255])
        let colours = DecodedImage(width: 4, height: 1, channels: 3, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 17, 99, 200])
        XCTAssertEqual(colours.converted(toChannels: 1).pixels, [76, 150, 29, 86])
    }

    // MARK: Folders

    /// Writes `files` (path under `root` to bytes) and returns `root`.
    func folder(_ files: [String: [UInt8]]) throws -> String {
        let root = try temporaryFolder()
        for (path, bytes) in files {
            let full = "\(root)/\(path)"
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try write(bytes, to: full)
        }
        return root
    }

    func grayPNG(_ seed: Int, size: Int = 4) throws -> [UInt8] { try Self.png(Self.pattern(width: size, height: size, channels: 1, seed: seed)) }

    func load(_ root: String, size: [Int]? = nil, channels: Int? = nil, warnings: inout [String]) throws -> Dataset {
        var collected: [String] = []
        defer { warnings = collected }
        return try ImageFolder.load(ImageFolderSettings(path: root, size: size, channels: channels), warn: { collected.append($0) })
    }

    func load(_ root: String, size: [Int]? = nil) throws -> Dataset {
        var warnings: [String] = []
        let dataset = try load(root, size: size, warnings: &warnings)
        XCTAssertEqual(warnings, [])
        return dataset
    }

    func testTrainAndTestFoldersGiveSortedClassesAndTheTrainingMeanAndStd() throws {
        let root = try folder(["train/cat/a.png": try grayPNG(1), "train/cat/b.png": try grayPNG(2), "train/ant/c.png": try grayPNG(3),
                               "val/cat/d.png": try grayPNG(4)])
        let dataset = try load(root)
        XCTAssertEqual(dataset.classNames, ["ant", "cat"])
        XCTAssertEqual(dataset.train.labels, [0, 1, 1])
        XCTAssertEqual(dataset.test.labels, [1])
        XCTAssertEqual([dataset.train.channels, dataset.train.height, dataset.train.width], [1, 4, 4])
        XCTAssertEqual(Array(dataset.test.images), Self.pattern(width: 4, height: 4, channels: 1, seed: 4).pixels)
        let pixels = dataset.train.images.map { Double($0) / 255 }
        let mean = pixels.reduce(0, +) / Double(pixels.count)
        let std = (pixels.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(pixels.count)).squareRoot()
        XCTAssertEqual(Double(dataset.defaultNormalization.mean[0]), mean, accuracy: 1e-6)
        XCTAssertEqual(Double(dataset.defaultNormalization.std[0]), std, accuracy: 1e-6)
        guard case .folder(let resolved) = dataset.source else { return XCTFail("not a folder source") }
        XCTAssertEqual(resolved.size, [4, 4])
        XCTAssertEqual(resolved.channels, 1)
    }

    func testClassFoldersAloneHoldOutTheTestFractionOfEachClassTheSameEveryTime() throws {
        var files: [String: [UInt8]] = [:]
        for index in 0..<10 { files["a/\(index).png"] = try grayPNG(index); files["b/\(index).jpg"] = try Self.jpeg(Self.pattern(width: 4, height: 4, channels: 1)) }
        let root = try folder(files)
        let first = try load(root), second = try load(root)
        XCTAssertEqual(first.test.labels, [0, 0, 1, 1])
        XCTAssertEqual(first.train.count, 16)
        XCTAssertEqual(first.test.images, second.test.images)
    }

    func testChannelsAreOneForGrayImagesAndThreeWhenAnyIsColour() throws {
        let root = try folder(["a/1.png": try grayPNG(1), "b/2.png": try Self.png(Self.pattern(width: 4, height: 4, channels: 3))])
        let dataset = try load(root)
        XCTAssertEqual(dataset.train.channels + dataset.test.channels, 6)
        XCTAssertEqual(dataset.defaultNormalization.mean.count, 3)
        var warnings: [String] = []
        XCTAssertEqual(try load(root, channels: 1, warnings: &warnings).train.channels, 1)
    }

    func testImagesOfDifferentSizesNeedASizeAndTheErrorNamesThem() throws {
        let root = try folder(["a/small.png": try grayPNG(1, size: 4), "b/large.png": try grayPNG(2, size: 9)])
        assertZooError(["images differ in size", "small.png is 4x4", "large.png is 9x9", "size: [HEIGHT, WIDTH]"]) { _ = try load(root) }
        let resized = try load(root, size: [6, 5])
        XCTAssertEqual([resized.train.height, resized.train.width], [6, 5])
    }

    // MARK: Hostile folders

    /// A folder with two good classes plus `extra` files in class `a`; returns the warnings of loading it.
    func warnings(loading extra: [String: [UInt8]], images: Int = 6, prepare: (String) throws -> Void = { _ in }) throws -> [String] {
        var files = extra
        for index in 0..<3 { files["a/good\(index).png"] = try grayPNG(index); files["b/good\(index).png"] = try grayPNG(index + 5) }
        let root = try folder(files)
        try prepare(root)
        var warnings: [String] = []
        let dataset = try load(root, warnings: &warnings)
        XCTAssertEqual(dataset.train.count + dataset.test.count, images)
        return warnings
    }

    func assertSkipped(_ warnings: [String], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(warnings.count, 1, "\(warnings)", file: file, line: line)
        for fragment in fragments {
            XCTAssertTrue(warnings.first?.contains(fragment) ?? false, "'\(warnings)' does not mention '\(fragment)'", file: file, line: line)
        }
    }

    func testTruncatedPNGIsSkippedWithAWarningNamingIt() throws {
        let whole = try grayPNG(9, size: 16)
        assertSkipped(try warnings(loading: ["a/cut.png": Array(whole.prefix(whole.count - 20))]), ["a/cut.png: skipped", "PNG"])
    }

    func testCorruptPNGIsSkipped() throws {
        var damaged = try grayPNG(9, size: 16)
        damaged[45] ^= 0xFF
        assertSkipped(try warnings(loading: ["a/corrupt.png": damaged]), ["a/corrupt.png: skipped", "not a readable PNG"])
    }

    func testTruncatedJPEGIsSkipped() throws {
        let whole = try Self.jpeg(Self.pattern(width: 32, height: 32, channels: 3))
        assertSkipped(try warnings(loading: ["a/cut.jpg": Array(whole.prefix(whole.count / 2))]), ["a/cut.jpg: skipped", "JPEG"])
    }

    func testAPNGThatIsNotOneAndAnEmptyFileAreSkipped() throws {
        assertSkipped(try warnings(loading: ["a/text.png": Array("hello, not an image\n".utf8)]), ["a/text.png: skipped", "neither a PNG nor a JPEG"])
        assertSkipped(try warnings(loading: ["a/empty.png": []]), ["a/empty.png: skipped", "empty"])
    }

    func testJPEGNamedPNGIsReadByItsContent() throws {
        XCTAssertEqual(try warnings(loading: ["a/photo.png": try Self.jpeg(Self.pattern(width: 4, height: 4, channels: 1))], images: 7), [])
    }

    /// A PNG of a few dozen bytes whose header declares `width` x `height` pixels.
    static func declaring(width: UInt32, height: UInt32) -> [UInt8] {
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + data
            let crc = UInt32(typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) })
            return withUnsafeBytes(of: UInt32(data.count).bigEndian, Array.init) + typed + withUnsafeBytes(of: crc.bigEndian, Array.init)
        }
        let header = withUnsafeBytes(of: width.bigEndian, Array.init) + withUnsafeBytes(of: height.bigEndian, Array.init) + [8, 0, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
            + chunk("IEND", [])
    }

    func testDecompressionBombIsSkippedBeforeDecoding() throws {
        let bomb = Self.declaring(width: 100_000, height: 100_000)
        XCTAssertLessThan(bomb.count, 1024)
        assertSkipped(try warnings(loading: ["a/bomb.png": bomb]), ["a/bomb.png: skipped", "decompression bomb"])
    }

    func testDeclaredSizeBeyondTheMemoryBudgetIsSkippedBeforeDecoding() throws {
        MemoryBudget.setLimit(64 << 20, origin: "this test")
        defer { MemoryBudget.resetLimit() }
        assertSkipped(try warnings(loading: ["a/wide.png": Self.declaring(width: 29_000, height: 2_000)]),
                      ["a/wide.png: skipped", "29000x2000", "memory budget"])
    }

    func testUnreadableFileIsSkipped() throws {
        let skipped = try warnings(loading: [:]) { root in
            try FileManager.default.createSymbolicLink(atPath: "\(root)/a/gone.png", withDestinationPath: "\(root)/nowhere.png")
        }
        assertSkipped(skipped, ["a/gone.png: skipped", "does not exist"])
    }

    func testSymbolicLinkLoopsAreSkipped() throws {
        let skipped = try warnings(loading: [:]) { root in
            try FileManager.default.createSymbolicLink(atPath: "\(root)/a/up", withDestinationPath: "\(root)/a")
            try FileManager.default.createSymbolicLink(atPath: "\(root)/a/self.png", withDestinationPath: "\(root)/a/self.png")
        }
        XCTAssertEqual(skipped.count, 2, "\(skipped)")
        XCTAssertTrue(skipped.contains { $0.contains("a/self.png: skipped: a symbolic link loop") }, "\(skipped)")
        XCTAssertTrue(skipped.contains { $0.contains("a/up: skipped: a symbolic link loop") }, "\(skipped)")
    }

    func testHiddenFilesAndNonImagesAreSkippedQuietly() throws {
        XCTAssertEqual(try warnings(loading: ["a/.DS_Store": [0, 1, 2], "a/notes.txt": Array("notes".utf8), "a/._good0.png": [1]]), [])
    }

    func testNonUTF8FileNamesAreRead() throws {
        let skipped = try warnings(loading: [:], images: 7) { root in
            let name = Array("\(root)/a/".utf8) + [0xE9, 0xFF] + Array(".png".utf8) + [0]
            let bytes = try grayPNG(7)
            let descriptor = name.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) } }
            XCTAssertGreaterThanOrEqual(descriptor, 0)
            _ = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        XCTAssertEqual(skipped, [])
    }

    func testAClassFolderWithoutImagesIsAnError() throws {
        let root = try folder(["a/1.png": try grayPNG(1), "b/notes.txt": [1]])
        assertZooError(["b", "holds no PNG or JPEG images"]) { _ = try load(root) }
    }

    func testOnlyOneClassIsAnError() throws {
        let root = try folder(["a/1.png": try grayPNG(1)])
        assertZooError(["only one class folder (`a`)", "at least two"]) { _ = try load(root) }
    }

    func testATestClassThatIsNotATrainingClassIsAnError() throws {
        let root = try folder(["train/a/1.png": try grayPNG(1), "train/b/1.png": try grayPNG(2), "test/c/1.png": try grayPNG(3)])
        assertZooError(["test class `c` is not a training class", "a, b"]) { _ = try load(root) }
    }

    func testAClassFolderNameThatIsNotUTF8IsAnError() throws {
        let root = try folder(["a/1.png": try grayPNG(1)])
        let name = Array("\(root)/".utf8) + [0xC3, 0x28] + [0]
        _ = name.withUnsafeBufferPointer { $0.withMemoryRebound(to: CChar.self) { mkdir($0.baseAddress!, 0o755) } }
        assertZooError(["not UTF-8"]) { _ = try load(root) }
    }
}
