import Foundation
import XCTest
import ZooTestSupport

/// The repository's configs/ folder.
enum TrainingConfigFolder {
    static let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("configs").path
}

/// The `zoo` binary as a user runs it: exit status, what goes to stdout and stderr, JSON shapes.
final class CommandLineTests: XCTestCase {
    struct Result {
        let status: Int32
        let output: String
        let error: String
    }

    /// `swift build --build-tests` builds the executable beside the test bundle (Linux: in the bundle's folder).
    static let binary: String = {
        let bundle = Bundle(for: CommandLineTests.self).bundleURL
        let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("zoo").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }()

    private func zoo(_ arguments: String...) throws -> Result { try Self.run(arguments, directory: NSTemporaryDirectory()) }

    static func run(_ arguments: [String], directory: String) throws -> Result {
        try Prerequisite.requireBinary(Self.binary)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(["OMP_NUM_THREADS": "2"]) { $1 }
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                      error: String(decoding: errorData, as: UTF8.self))
    }

    private func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    func testListFindsTheBuiltInsFromAnyFolderWithPyTorchCounts() throws {
        let result = try zoo("list", "--json")
        XCTAssertEqual(result.status, 0, result.error)
        let rows = try XCTUnwrap(try json(result.output) as? [[String: Any]])
        let counts = Dictionary(uniqueKeysWithValues: rows.compactMap { row in (row["params"] as? Int).map { (row["name"] as? String ?? "", $0) } })
        XCTAssertEqual(counts["fc2layer"], 6_442)
        XCTAssertEqual(counts["cnn"], 6_422)
        XCTAssertEqual(counts["lenet"], 44_426)
        XCTAssertEqual(counts["tinynet"], 1_199_882)
        // Every row says where it came from, and has its size or why it does not fit (vgg-lite on 28x28).
        XCTAssertTrue(rows.allSatisfy { $0["source"] != nil && ($0["macs"] != nil || $0["error"] != nil) })
        XCTAssertEqual(rows.first { $0["name"] as? String == "vgg-lite" }?["error"] as? String,
                       "does not fit 1x28x28 (see `zoo summary vgg-lite --dataset mnist`)")
    }

    func testSummaryOfAFileAnywhereInfersItsSizes() throws {
        let folder = NSTemporaryDirectory() + "zoo-path-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "name: tiny\nlayers:\n  - flatten\n  - linear: num_classes\n".write(toFile: folder + "/tiny.yaml", atomically: true, encoding: .utf8)
        let summary = try zoo("summary", folder + "/tiny.yaml", "--dataset", "cifar10", "--json")
        XCTAssertEqual(summary.status, 0, summary.error)
        let object = try XCTUnwrap(try json(summary.output) as? [String: Any])
        XCTAssertEqual(object["total_params"] as? Int, 3 * 32 * 32 * 10 + 10)
        XCTAssertEqual((object["layers"] as? [[String: Any]])?.count, 2)
    }

    /// 784 x 100,000 then 100,000 x 100,000 weights, 40 GB as floats: a summary counts them without allocating,
    /// where building the network would be refused by the memory budget.
    func testSummaryOfAHugeNetworkAllocatesNoParameters() throws {
        let folder = NSTemporaryDirectory() + "zoo-huge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "name: huge\nlayers:\n  - flatten\n  - linear: 100000\n  - linear: 100000\n  - linear: num_classes\n"
            .write(toFile: folder + "/huge.yaml", atomically: true, encoding: .utf8)
        let summary = try zoo("summary", folder + "/huge.yaml", "--dataset", "mnist", "--json", "--max-memory", "1GB")
        XCTAssertEqual(summary.status, 0, summary.error)
        let object = try XCTUnwrap(try json(summary.output) as? [String: Any])
        XCTAssertEqual(object["total_params"] as? Int, 784 * 100_000 + 100_000 + 100_000 * 100_000 + 100_000 + 100_000 * 10 + 10)
    }

    func testMistakesExitWithStatusOneAndOneParagraphOnStandardError() throws {
        let folder = NSTemporaryDirectory() + "zoo-mistakes-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "model: lenet\noptimizer: {name: adma, lr: 0.1}\n".write(toFile: folder + "/bad.yaml", atomically: true, encoding: .utf8)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder + "/broken.safetensors"))
        let cases: [([String], String)] = [
            (["train", "bad.yaml"], "bad.yaml:2:19: error: unknown optimizer `adma`"),
            (["train", "--model", "lenett"], "did you mean `lenet`?"),
            (["train", "--set", "optimizer.lr=abc"], "--set optimizer.lr=abc: error:"),
            (["train", "--epochs", "0"], "`epochs` must be at least 1"),
            (["eval", "broken.safetensors"], "broken.safetensors at byte 0: error:"),
            (["summary", "vgg-lite"], "does not fit its 1x1 input"),
            (["bench"], "name a model to benchmark"),
            (["bench", "broken.safetensors"], "broken.safetensors at byte 0: error:"),
            (["train", "--epochs", "two"], "The value 'two' is invalid for '--epochs <epochs>'"),
            (["trian"], "Unexpected argument 'trian'"),
            (["train", "--dataset", "cifar10", "--data-dir", folder], "zoo data fetch cifar10"),
        ]
        for (arguments, expected) in cases {
            let result = try Self.run(arguments, directory: folder)
            XCTAssertEqual(result.status, 1, "zoo \(arguments.joined(separator: " ")): \(result.error)")
            XCTAssertTrue(result.error.contains(expected), "zoo \(arguments.joined(separator: " ")) said: \(result.error)")
            XCTAssertFalse(result.error.contains("Fatal error") || result.error.contains("Stack dump"), result.error)
        }
    }

    /// Errors quote the flag as typed, not the `--set` it becomes.
    func testFlagMistakesQuoteTheFlag() throws {
        let result = try zoo("train", "--dataset", "fmnist")
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.error.hasPrefix("--dataset fmnist: error: unknown dataset `fmnist`"), result.error)
        XCTAssertTrue(result.error.contains("did you mean `fashion-mnist`?"), result.error)
    }

    func testVersionNamesOneDNNAndTheInstructionSet() throws {
        let result = try zoo("--version")
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.output.hasPrefix("zoo "), result.output)
        XCTAssertTrue(result.output.contains("oneDNN 2."), result.output)
        XCTAssertTrue(result.output.contains("CPU ISA avx") || result.output.contains("CPU ISA sse"), result.output)
    }

    /// The course's 32x32 LeNet, from its training config (pad_to 32) and from --input.
    func testSummaryShowsTheModelAsATrainingConfigOrAnInputShapeBuildsIt() throws {
        let config = TrainingConfigFolder.path + "/lenet32_mnist.yaml"
        for arguments in [["summary", config, "--json"], ["summary", "lenet", "--input", "1x32x32", "--json"]] {
            let result = try Self.run(arguments, directory: NSTemporaryDirectory())
            XCTAssertEqual(result.status, 0, result.error)
            let object = try XCTUnwrap(try json(result.output) as? [String: Any])
            XCTAssertEqual(object["total_params"] as? Int, 61_706, "\(arguments)")
            XCTAssertEqual(object["input_shape"] as? [Int], [1, 32, 32], "\(arguments)")
        }
    }

    /// `zoo compare RUN1 RUN2` overlays finished runs without training.
    func testCompareOverlaysFinishedRunFolders() throws {
        let folder = NSTemporaryDirectory() + "zoo-compare-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (run, accuracy) in [("a", "0.91"), ("b", "0.95")] {
            try FileManager.default.createDirectory(atPath: "\(folder)/\(run)", withIntermediateDirectories: true)
            try "model: lenet\ndataset: mnist\n".write(toFile: "\(folder)/\(run)/config.yaml", atomically: true, encoding: .utf8)
            try "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_sec\n1,0.01,0.5,0.9,0.4,\(accuracy),2.0,3000\n"
                .write(toFile: "\(folder)/\(run)/metrics.csv", atomically: true, encoding: .utf8)
        }
        let result = try Self.run(["compare", "a", "b", "--out", "overlay"], directory: folder)
        XCTAssertEqual(result.status, 0, result.error)
        XCTAssertTrue(result.output.contains("95.00%"), result.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/overlay/report.html"))
        try FileManager.default.createDirectory(atPath: "\(folder)/empty", withIntermediateDirectories: true)
        let notARun = try Self.run(["compare", "a", "empty"], directory: folder)
        XCTAssertTrue(notARun.error.contains("empty: error: the folder has no metrics.csv"), notARun.error)
    }

    func testBenchReportsThroughputAsJSON() throws {
        let result = try zoo("bench", "lenet", "--batch", "16", "--steps", "2", "--windows", "1", "--json")
        XCTAssertEqual(result.status, 0, result.error)
        let object = try XCTUnwrap(try json(result.output) as? [String: Any])
        XCTAssertGreaterThan(object["train_images_per_sec"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(object["infer_images_per_sec"] as? Double ?? 0, 0)
        let ceiling = try zoo("bench", "--sgemm", "--size", "256", "--json")
        XCTAssertGreaterThan((try json(ceiling.output) as? [String: Double])?["sgemm_gflops"] ?? 0, 0)
    }

    /// `--batch-size` as `zoo train` spells it, and `--batch` for older scripts.
    func testBenchTakesBatchSizeAsTrainDoesAndBatchStill() throws {
        for (flag, size) in [("--batch-size", 16), ("--batch", 8)] {
            let result = try zoo("bench", "lenet", flag, String(size), "--steps", "1", "--windows", "1", "--json")
            XCTAssertEqual(result.status, 0, result.error)
            XCTAssertEqual((try json(result.output) as? [String: Any])?["batch_size"] as? Int, size, flag)
        }
        let help = try zoo("bench", "--help")
        XCTAssertTrue((help.output + help.error).contains("--batch-size, --batch <batch-size>"), help.output + help.error)
    }
}
