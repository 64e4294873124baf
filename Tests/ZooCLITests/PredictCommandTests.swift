import Foundation
import XCTest
@testable import ZooCLI
@testable import ZooTraining
import ZooConfig
import ZooCore
import ZooData
import ZooReport
import ZooTestSupport

/// `zoo predict`, `zoo eval --dataset FOLDER` and `zoo data images` as a user runs them, on folders the tests write.
final class PredictCommandTests: XCTestCase {
    private func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "zoo-predict-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        return folder
    }

    private func zoo(_ arguments: [String]) throws -> CommandLineTests.Result {
        try CommandLineTests.run(arguments, directory: NSTemporaryDirectory())
    }

    /// LeNet after one epoch of real MNIST, trained once for every test here that needs it.
    private static let mnistCheckpoint = Result { () throws -> String in
        let folder = NSTemporaryDirectory() + "zoo-predict-lenet-\(UUID().uuidString)"
        let config = try TrainingConfig.defaults(overrides: ["dataset=mnist", "dataset.data_dir=\(TrainingSessionTests.dataDirectory)",
                                                             "model=lenet", "epochs=1", "seed=1"])
        _ = try TrainingSession(config: config, registry: ArchitectureRegistry(), runDirectory: folder, resume: false,
                                progress: ProgressOutput(quiet: true, logEvery: 1_000, silent: true)).run()
        return "\(folder)/best.safetensors"
    }

    private func trainedOnMNIST() throws -> String {
        try Prerequisite.requireMNIST()
        return try Self.mnistCheckpoint.get()
    }

    private func evaluation(_ arguments: [String]) throws -> (correct: Int, total: Int) {
        let result = try zoo(["eval", "--json"] + arguments)
        XCTAssertEqual(result.status, 0, result.error)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        return (try XCTUnwrap(report["correct"] as? Int), try XCTUnwrap(report["total"] as? Int))
    }

    func testMNISTTestImagesWrittenAsPNGScoreExactlyAsTheIDXFiles() throws {
        let checkpoint = try trainedOnMNIST()
        let images = try temporaryFolder() + "/digits"
        let written = try zoo(["data", "images", "mnist", "--data-dir", TrainingSessionTests.dataDirectory, "--split", "test", images])
        XCTAssertEqual(written.status, 0, written.error)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: images).sorted(), (0..<10).map(String.init))
        let fromIDX = try evaluation([checkpoint, "--data-dir", TrainingSessionTests.dataDirectory])
        let fromPNG = try evaluation([checkpoint, "--dataset", images])
        XCTAssertEqual(fromPNG.total, 10_000)
        XCTAssertEqual(fromPNG.correct, fromIDX.correct)
    }

    /// Shipped weights by name, as `zoo eval` and `zoo export` take them: the same predictions as the file itself.
    func testShippedWeightsByName() throws {
        try Prerequisite.requireMNIST()
        let images = try temporaryFolder() + "/digits"
        XCTAssertEqual(try zoo(["data", "images", "mnist", "--data-dir", TrainingSessionTests.dataDirectory, "--split", "test", "--count", "20", images]).status, 0)
        let byName = try zoo(["predict", "--json", "lenet@mnist", images])
        XCTAssertEqual(byName.status, 0, byName.error)
        let weights = try XCTUnwrap(WeightsCatalog.locate(searching: [Prerequisite.checkout.appendingPathComponent("weights").path]).path(for: "lenet@mnist"))
        let byPath = try zoo(["predict", "--json", weights, images])
        XCTAssertEqual(byName.output, byPath.output)
        XCTAssertEqual(byName.output.split(separator: "\n").count, 20, byName.output)
    }

    /// A 200x200 picture, white, with black strokes where `ink` says (x, y in 0..<200).
    private func drawing(_ ink: (Int, Int) -> Bool) throws -> [UInt8] {
        let pixels = (0..<(200 * 200)).map { ink($0 % 200, $0 / 200) ? UInt8(0) : 255 }
        return try PNG.encode(planar: pixels, channels: 1, height: 200, width: 200)
    }

    /// one.png and zero.png, drawn black on white at 200x200, in a new folder.
    private func drawnDigits() throws -> String {
        let folder = try temporaryFolder()
        // A one: a slanted bar; a zero: an oval ring. Strokes about as wide, relative to the picture, as MNIST's.
        try Data(try drawing { x, y in y >= 30 && y < 170 && abs(x - (110 - (y - 100) / 8)) < 12 }).write(to: URL(fileURLWithPath: "\(folder)/one.png"))
        try Data(try drawing { x, y in
            let distance = (Double(x - 100) / 50) * (Double(x - 100) / 50) + (Double(y - 100) / 70) * (Double(y - 100) / 70)
            return distance < 1 && distance > 0.55
        }).write(to: URL(fileURLWithPath: "\(folder)/zero.png"))
        return folder
    }

    func testDigitsDrawnBlackOnWhiteArePredictedWithInvertAuto() throws {
        let checkpoint = try trainedOnMNIST()
        let folder = try drawnDigits()
        let result = try zoo(["predict", "--json", checkpoint, "\(folder)/one.png", "\(folder)/zero.png"])
        XCTAssertEqual(result.status, 0, result.error)
        let lines = result.output.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(lines.count, 2, result.output)
        for (line, digit) in zip(lines, ["1", "0"]) {
            let object = try XCTUnwrap(line)
            XCTAssertEqual(object["inverted"] as? Bool, true)
            let predictions = try XCTUnwrap(object["predictions"] as? [[String: Any]])
            XCTAssertEqual(predictions.count, 3)
            XCTAssertEqual(predictions.first?["class"] as? String, digit, result.output)
            XCTAssertEqual(predictions.first?["index"] as? Int, Int(digit))
        }
        // Not inverted, the same picture is white where MNIST is black: the text output says nothing was done.
        let plain = try zoo(["predict", "--invert", "no", "--top", "1", checkpoint, "\(folder)/one.png"])
        XCTAssertFalse(plain.output.contains("inverted"), plain.output)
        XCTAssertEqual(plain.output.split(separator: "\n").count, 3, plain.output)
    }

    /// --html with the shipped LeNet: each image as the model saw it (the drawing inverted and shrunk to 28x28), its
    /// bars, a tile per channel of conv1, its pooling, conv2 and its pooling, conv1's filters; then Chromium renders it.
    func testHTMLPageShowsWhatTheModelSawAndRendersInChromium() throws {
        let folder = try drawnDigits()
        let page = "\(folder)/page.html"
        let result = try zoo(["predict", "lenet@mnist", "\(folder)/one.png", "\(folder)/zero.png", "--top", "2", "--html", page])
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.output.hasSuffix("page: \(page)\n"), result.output)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        func count(_ part: String) -> Int { html.components(separatedBy: part).count - 1 }
        XCTAssertEqual(count("<section class=\"image\">"), 2)
        XCTAssertEqual(count("<figure class=\"filter\">"), 6, "conv1's 6 filters, once")
        XCTAssertEqual(count("<figure class=\"map\">"), 2 * (6 + 6 + 16 + 16), "conv1, its pooling, conv2, its pooling: a tile per channel")
        XCTAssertEqual(count("<div class=\"bar\">"), 4, "--top 2 bars per image")
        for part in ["<code>conv1</code> <span>conv2d · 6x24x24, before its relu</span>", "<code>conv2</code> <span>conv2d · 16x8x8, before its relu",
                     "maxpool2d · 16x4x4", "one.png", "inverted: dark strokes on a light background", "as the model saw it, 28x28"] {
            XCTAssertTrue(html.contains(part), "the page lacks \(part)")
        }
        XCTAssertFalse(html.contains("http"), "nothing to fetch: every image is inline")
        // The first picture is the model's input: the drawing as `zoo predict` prepares it, inverted.
        let seen = try XCTUnwrap(html.components(separatedBy: "<figure class=\"seen\"><img src=\"data:image/png;base64,").dropFirst().first?
            .prefix { $0 != "\"" })
        let picture = try ImageDecoder.decode([UInt8](try XCTUnwrap(Data(base64Encoded: String(seen)))), file: "the page's picture")
        let drawing = try ImageFolder.decodeFile(RawPath("\(folder)/one.png"), size: [28, 28]).converted(toChannels: 1)
        XCTAssertEqual(picture.pixels, drawing.pixels.map { 255 - $0 })

        let (dom, screenshot) = try ExternalTools.render(page: page, height: 1400)
        XCTAssertEqual(dom.components(separatedBy: "<img").count - 1, 2 + 6 + 2 * 44)
        // The most likely class's bar is drawn, in its green (#1e8449).
        let green = stride(from: 0, to: screenshot.pixels.count, by: screenshot.channels).filter {
            screenshot.pixels[$0] == 0x1e && screenshot.pixels[$0 + 1] == 0x84 && screenshot.pixels[$0 + 2] == 0x49
        }
        XCTAssertGreaterThan(green.count, 1_000, "the top bars are missing from the rendered page")
    }

    /// --precision as train, eval and bench take it; bf16 where the CPU has it gives the same classes.
    func testPrecisionOption() throws {
        let folder = try drawnDigits()
        let inputs = ["lenet@mnist", "\(folder)/one.png", "\(folder)/zero.png", "--json", "--top", "1"]
        let fp32 = try zoo(["predict", "--precision", "fp32"] + inputs)
        XCTAssertEqual(fp32.status, 0, fp32.error)
        let auto = try zoo(["predict", "--precision", "auto", "--html", "\(folder)/page.html"] + inputs)
        XCTAssertEqual(auto.status, 0, auto.error)
        // The page says what it ran in: bf16 where oneDNN computes it natively.
        let expected = try PrecisionSetting.auto.resolve().precision.rawValue
        XCTAssertTrue(try String(contentsOfFile: "\(folder)/page.html", encoding: .utf8).contains("input 1x28x28 · \(expected) · 2 images"))
        func classes(_ output: String) -> [String] {
            output.split(separator: "\n").compactMap { line in
                ((try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["predictions"] as? [[String: Any]])?.first?["class"] as? String
            }
        }
        XCTAssertEqual(classes(fp32.output), ["1", "0"])
        XCTAssertEqual(classes(auto.output), ["1", "0"])
        let wrong = try zoo(["predict", "--precision", "fp16"] + inputs)
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.error.contains("fp16"), wrong.error)
    }

    func testAnUnreadableInputIsAnErrorLineAndTheOthersAreStillPredicted() throws {
        let (checkpoint, folder) = try trainedOnFolder()
        let result = try zoo(["predict", checkpoint, "\(folder)/missing.png", "\(folder)/data/bright/0.png", "\(folder)/notes.png"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.error.contains("missing.png: skipped: cannot be read: it does not exist"), result.error)
        XCTAssertTrue(result.error.contains("notes.png: skipped: the file is neither a PNG nor a JPEG"), result.error)
        XCTAssertTrue(result.output.contains("data/bright/0.png\nclass"), result.output)
    }

    /// Two classes, bright and dark 12x10 colour pictures, in class folders; LeNet trained 10 epochs at 28x28.
    private func trainedOnFolder() throws -> (checkpoint: String, folder: String) {
        let folder = try temporaryFolder()
        for (name, base) in [("bright", 170), ("dark", 20)] {
            try FileManager.default.createDirectory(atPath: "\(folder)/data/\(name)", withIntermediateDirectories: true)
            for index in 0..<20 {
                let pixels = (0..<(3 * 10 * 12)).map { UInt8(base + ($0 * 7 + index * 13) % 60) }
                try Data(try PNG.encode(planar: pixels, channels: 3, height: 10, width: 12)).write(to: URL(fileURLWithPath: "\(folder)/data/\(name)/\(index).png"))
            }
        }
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: "\(folder)/notes.png"))
        let result = try zoo(["train", "--model", "lenet", "--dataset", "\(folder)/data", "--set", "dataset.size=[28, 28]", "--epochs", "10", "--batch-size", "8",
                              "--out", "\(folder)/run", "--quiet"])
        XCTAssertEqual(result.status, 0, result.error)
        return ("\(folder)/run/last.safetensors", folder)
    }

    func testAFolderTrainedCheckpointKeepsItsPreprocessingForEvalAndPredict() throws {
        let (checkpoint, folder) = try trainedOnFolder()
        let description = try CheckpointDescription(metadata: try Checkpoint.read(path: checkpoint).metadata, path: checkpoint)
        XCTAssertEqual(description.classNames, ["bright", "dark"])
        XCTAssertEqual(description.dataset, .folder(ImageFolderSettings(path: "\(folder)/data", size: [28, 28], channels: 3, testFraction: 0.2)))
        XCTAssertEqual(description.inputShape, Shape([3, 28, 28]))
        let dataset = try ImageFolder.load(ImageFolderSettings(path: "\(folder)/data", size: [28, 28]), warn: { XCTFail($0) })
        XCTAssertEqual(description.normalization, dataset.defaultNormalization)
        // Eval without --dataset reads the same held-out images: 4 of each class.
        let held = try evaluation([checkpoint])
        XCTAssertEqual(held.total, 8)
        XCTAssertEqual(held.correct, 8)
        let result = try zoo(["predict", "--json", "--top", "2", checkpoint, "\(folder)/data/dark"])
        XCTAssertEqual(result.status, 0, result.error)
        let lines = result.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 20)
        let first = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        XCTAssertEqual(first["file"] as? String, "\(folder)/data/dark/0.png")
        XCTAssertEqual((first["predictions"] as? [[String: Any]])?.first?["class"] as? String, "dark")
    }
}
