import Foundation
import XCTest
@testable import ZooCLI
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
    private static var mnistCheckpoint: String?

    private func trainedOnMNIST() throws -> String {
        try Prerequisite.requireMNIST()
        if let path = Self.mnistCheckpoint { return path }
        let folder = NSTemporaryDirectory() + "zoo-predict-lenet-\(UUID().uuidString)"
        let config = try TrainingConfig.defaults(overrides: ["dataset=mnist", "dataset.data_dir=\(TrainingSessionTests.dataDirectory)",
                                                             "model=lenet", "epochs=1", "seed=1"])
        _ = try TrainingSession(config: config, registry: ArchitectureRegistry(), runDirectory: folder, resume: false,
                                progress: ProgressOutput(quiet: true, logEvery: 1_000, silent: true)).run()
        Self.mnistCheckpoint = "\(folder)/best.safetensors"
        return "\(folder)/best.safetensors"
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

    func testDigitsDrawnBlackOnWhiteArePredictedWithInvertAuto() throws {
        let checkpoint = try trainedOnMNIST()
        let folder = try temporaryFolder()
        // A one: a slanted bar; a zero: an oval ring. Strokes about as wide, relative to the picture, as MNIST's.
        try Data(try drawing { x, y in y >= 30 && y < 170 && abs(x - (110 - (y - 100) / 8)) < 12 }).write(to: URL(fileURLWithPath: "\(folder)/one.png"))
        try Data(try drawing { x, y in
            let distance = (Double(x - 100) / 50) * (Double(x - 100) / 50) + (Double(y - 100) / 70) * (Double(y - 100) / 70)
            return distance < 1 && distance > 0.55
        }).write(to: URL(fileURLWithPath: "\(folder)/zero.png"))
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
