import Foundation
import XCTest
import ZooTestSupport

/// `zoo quantize` as a user runs it, then `zoo eval` and `zoo bench` on what it wrote.
final class QuantizeCommandTests: XCTestCase {
    private func json(_ result: CommandLineTests.Result) throws -> [String: Any] {
        XCTAssertEqual(result.status, 0, result.error)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
    }

    /// Real MNIST is there (else a skip, or a failure in CI); a fresh folder removed after the test.
    private func mnistAndFolder() throws -> String {
        try Prerequisite.requireMNIST()
        let folder = NSTemporaryDirectory() + "zoo-quantize-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: folder) }
        return folder
    }

    /// The shipped LeNet: int8 within half a point of float32 on the MNIST test set, and `zoo eval` runs the file
    /// in int8 by default (the loss `zoo quantize` reported for int8) and in float32 when asked (float32's).
    func testShippedLeNetQuantizesWithinHalfAPointAndEvaluatesInInt8() throws {
        let folder = try mnistAndFolder()
        let output = folder + "/lenet-int8.safetensors"
        let data = ["--data-dir", TrainingSessionTests.dataDirectory]
        let report = try json(try CommandLineTests.run(["quantize", "--json", "lenet@mnist", output, "--calibration", "200"] + data, directory: folder))
        let float32 = try XCTUnwrap(report["float32_accuracy"] as? Double), int8 = try XCTUnwrap(report["int8_accuracy"] as? Double)
        XCTAssertGreaterThan(float32, 0.98)
        XCTAssertEqual(int8, float32, accuracy: 0.005, "int8 within half a point of float32")
        XCTAssertEqual(report["calibration_images"] as? Int, 200)

        let int8Loss = try XCTUnwrap(report["int8_loss"] as? Double), float32Loss = try XCTUnwrap(report["float32_loss"] as? Double)
        XCTAssertNotEqual(int8Loss, float32Loss)
        let evaluated = try json(try CommandLineTests.run(["eval", "--json", output] + data, directory: folder))
        XCTAssertEqual(try XCTUnwrap(evaluated["loss"] as? Double), int8Loss, accuracy: 1e-6)
        let asFloat32 = try json(try CommandLineTests.run(["eval", "--json", output, "--precision", "fp32"] + data, directory: folder))
        XCTAssertEqual(try XCTUnwrap(asFloat32["loss"] as? Double), float32Loss, accuracy: 1e-6)
    }

    /// `zoo bench` on a quantized file measures its own int8 plan by default, fp32 beside it; on shipped float32
    /// weights with --precision int8 it quantizes them on the benchmark's images. Fields only: speed is not tested.
    func testBenchRunsAQuantizedCheckpointInItsInt8Plan() throws {
        let folder = try mnistAndFolder()
        let output = folder + "/lenet-int8.safetensors"
        let quantizing = try CommandLineTests.run(["quantize", "lenet@mnist", output, "--calibration", "20", "--data-dir",
                                                   TrainingSessionTests.dataDirectory], directory: folder)
        XCTAssertEqual(quantizing.status, 0, quantizing.error)
        let timing = ["--batch", "16", "--steps", "4", "--windows", "1", "--json"]
        for (arguments, weights, reason) in [([output], "the checkpoint's int8 weights and calibrated scales", "the default for a quantized checkpoint;"),
                                             (["lenet@mnist", "--precision", "int8"], "the checkpoint's float32 weights, quantized on the benchmark's images", "asked for;")] {
            let report = try json(try CommandLineTests.run(["bench"] + arguments + timing, directory: folder))
            XCTAssertEqual(report["int8_weights"] as? String, weights, arguments.joined(separator: " "))
            XCTAssertTrue((report["precision_reason"] as? String ?? "").hasPrefix(reason), "\(report["precision_reason"] ?? "none")")
            XCTAssertEqual(report["model"] as? String, "lenet")
            XCTAssertEqual(report["dataset"] as? String, "mnist")
            XCTAssertEqual(report["infer_batch_size"] as? Int, 16)
            XCTAssertNotNil(report["checkpoint"] as? String)
            XCTAssertGreaterThan(report["int8_infer_images_per_sec"] as? Double ?? 0, 0)
            XCTAssertGreaterThan(report["fp32_infer_images_per_sec"] as? Double ?? 0, 0)
        }
        // --precision fp32 measures training and inference of its float32 weights, as for any checkpoint.
        let float32 = try json(try CommandLineTests.run(["bench", output, "--precision", "fp32"] + timing, directory: folder))
        XCTAssertEqual(float32["precision"] as? String, "fp32")
        XCTAssertEqual(float32["precision_reason"] as? String, "asked for")
        XCTAssertGreaterThan(float32["train_images_per_sec"] as? Double ?? 0, 0)
    }
}
