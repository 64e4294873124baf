import Foundation
import XCTest
import ZooTestSupport
import CZlib
import ZooCore

/// Python (with tensorboard, onnx, onnxruntime, torch, safetensors) and headless Chromium, which check
/// zoo's files with the readers their users have. scripts/setup-test-deps.sh installs them; a missing one
/// skips or fails through `Prerequisite`.
enum ExternalTools {
    struct Output {
        let status: Int32
        let output: String
        let error: String
    }

    static func run(_ executable: String, _ arguments: [String], directory: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        // Output goes to files, so a chatty child never blocks on a full pipe.
        let base = NSTemporaryDirectory() + "zoo-tool-\(UUID().uuidString)"
        let outputPath = base + ".out", errorPath = base + ".err"
        defer { for path in [outputPath, errorPath] { try? FileManager.default.removeItem(atPath: path) } }
        for path in [outputPath, errorPath] { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, output: (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "",
                      error: (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "")
    }


    /// Runs a Python script with arguments; a failing script fails the test with its stderr.
    static func python(_ script: String, _ arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try run("python3", ["-c", script] + arguments)
        XCTAssertEqual(result.status, 0, "python failed:\n\(result.error)", file: file, line: line)
        return result.output
    }

    /// Debian's `chromium` (or Chrome) for headless rendering.
    static func chromium() throws -> String {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            if let found = try? run("which", [name]), found.status == 0 { return found.output.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        throw Prerequisite.missing("chromium", install: "run `sudo bash scripts/setup-test-deps.sh` (or `apt-get install chromium fonts-dejavu-core`)")
    }

    /// A page as headless Chromium shows it in a 1280-pixel-wide window: its DOM after loading, and a screenshot
    /// (written next to the page) that is checked not to be blank.
    static func render(page: String, height: Int, file: StaticString = #filePath, line: UInt = #line) throws -> (dom: String, screenshot: Screenshot) {
        let chromium = try chromium()
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,\(height)"]
        let url = URL(fileURLWithPath: page).absoluteString
        let dom = try run(chromium, flags + ["--dump-dom", url])
        XCTAssertEqual(dom.status, 0, dom.error, file: file, line: line)
        let shot = (page as NSString).deletingPathExtension + ".png"
        let rendered = try run(chromium, flags + ["--screenshot=\(shot)", url])
        XCTAssertEqual(rendered.status, 0, rendered.error, file: file, line: line)
        let screenshot = try Screenshot(path: shot)
        XCTAssertEqual(screenshot.width, 1280, file: file, line: line)
        XCTAssertGreaterThan(screenshot.distinctColors, 100, "the rendered page looks blank", file: file, line: line)
        return (dom.output, screenshot)
    }
}

/// The pixels of a screenshot PNG (8-bit RGB or RGBA, not interlaced, as Chromium writes them).
struct Screenshot {
    let width: Int
    let height: Int
    let channels: Int
    let pixels: [UInt8]

    init(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var offset = 8
        var header: [UInt8] = [], compressed: [UInt8] = []
        func bigEndian(_ at: Int) -> Int { bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
        while offset + 8 <= bytes.count {
            let length = bigEndian(offset)
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let data = Array(bytes[(offset + 8)..<(offset + 8 + length)])
            if type == "IHDR" { header = data }
            if type == "IDAT" { compressed += data }
            offset += 12 + length
        }
        guard header.count == 13, header[8] == 8, [2, 6].contains(header[9]), header[12] == 0 else {
            throw Prerequisite.missing("a chromium whose screenshots are 8-bit RGB(A) PNGs", install: "install Debian's chromium (apt-get install chromium)")
        }
        width = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
        height = header[4..<8].reduce(0) { $0 << 8 | Int($1) }
        channels = header[9] == 2 ? 3 : 4
        let stride = width * channels
        var raw = [UInt8](repeating: 0, count: height * (stride + 1))
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { output in
            compressed.withUnsafeBufferPointer { input in uncompress(output.baseAddress, &rawLength, input.baseAddress, uLong(input.count)) }
        }
        guard status == Z_OK else { throw ZooError("cannot inflate the screenshot (zlib status \(status))") }
        // Undo the per-row filters (PNG specification, section 9).
        var pixels = [UInt8](repeating: 0, count: height * stride)
        for row in 0..<height {
            let filter = raw[row * (stride + 1)]
            for column in 0..<stride {
                let value = Int(raw[row * (stride + 1) + 1 + column])
                let left = column >= channels ? Int(pixels[row * stride + column - channels]) : 0
                let up = row > 0 ? Int(pixels[(row - 1) * stride + column]) : 0
                let upLeft = row > 0 && column >= channels ? Int(pixels[(row - 1) * stride + column - channels]) : 0
                let predictor: Int
                switch filter {
                case 1: predictor = left
                case 2: predictor = up
                case 3: predictor = (left + up) / 2
                case 4:
                    let estimate = left + up - upLeft
                    let (toLeft, toUp, toUpLeft) = (abs(estimate - left), abs(estimate - up), abs(estimate - upLeft))
                    predictor = toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft
                default: predictor = 0
                }
                pixels[row * stride + column] = UInt8((value + predictor) & 0xFF)
            }
        }
        self.pixels = pixels
    }

    /// How many different colours the picture has: a blank page has one or two.
    var distinctColors: Int {
        var seen = Set<UInt32>()
        for start in Swift.stride(from: 0, to: pixels.count, by: channels) {
            seen.insert(UInt32(pixels[start]) << 16 | UInt32(pixels[start + 1]) << 8 | UInt32(pixels[start + 2]))
        }
        return seen.count
    }
}
