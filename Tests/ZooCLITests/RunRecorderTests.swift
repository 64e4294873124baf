import Foundation
import XCTest
import ZooTestSupport
@testable import ZooCLI
@testable import ZooTraining
import ZooConfig
import ZooCore
import ZooReport

/// A run folder's TensorBoard events, read back with TensorBoard's own reader, and its report page,
/// rendered by headless Chromium. Trains on the real MNIST in ../shared/datasets.
final class RunRecorderTests: XCTestCase {
    private var folders: [String] = []

    override func tearDown() {
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
    }

    private func temporaryFolder() -> String {
        let folder = NSTemporaryDirectory() + "zoo-recorder-\(UUID().uuidString)"
        folders.append(folder)
        return folder
    }

    private func train(_ overrides: [String], folder: String) throws {
        try Prerequisite.requireMNIST()
        let config = try TrainingConfig.defaults(overrides: ["dataset=mnist", "dataset.data_dir=\(TrainingSessionTests.dataDirectory)"] + overrides)
        _ = try TrainingSession(config: config, registry: ArchitectureRegistry(), runDirectory: folder, resume: false,
                                progress: ProgressOutput(quiet: true, logEvery: 1_000, silent: true)).run()
    }

    /// Every scalar, as TensorBoard's EventAccumulator reads it: {tag: [[step, value], ...]}.
    private func tensorBoardScalars(_ folder: String) throws -> [String: [(step: Int, value: Double)]] {
        let script = """
            import json, sys
            from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
            events = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0})
            events.Reload()
            print(json.dumps({tag: [[e.step, e.value] for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}))
            """
        let decoded = try JSONSerialization.jsonObject(with: Data(try ExternalTools.python(script, [folder]).utf8)) as? [String: [[Double]]] ?? [:]
        return decoded.mapValues { $0.map { (Int($0[0]), $0[1]) } }
    }

    func testTensorBoardReadsEveryMetricOfTheRunAsMetricsCSVHasIt() throws {
        try Prerequisite.requirePython(["tensorboard"])
        let folder = temporaryFolder()
        try train(["model=fc2layer", "batch_size=512", "epochs=2", "log_every=20", "seed=2"], folder: folder)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("events.out.tfevents.") }
        XCTAssertEqual(files.count, 1)
        let scalars = try tensorBoardScalars(folder)
        XCTAssertEqual(Set(scalars.keys), ["train/loss", "train/accuracy", "train/lr", "test/loss", "test/accuracy"])
        let metrics = EpochMetrics.parse(csv: try String(contentsOfFile: "\(folder)/metrics.csv", encoding: .utf8))
        XCTAssertEqual(metrics.count, 2)

        // 60,000 images in batches of 512: 118 steps an epoch, logged every 20 and at the epoch's end.
        let stepsPerEpoch = 118
        let logged = (0..<2).flatMap { epoch in ([20, 40, 60, 80, 100, 118]).map { epoch * stepsPerEpoch + $0 } }
        for tag in ["train/loss", "train/accuracy", "train/lr"] {
            XCTAssertEqual(scalars[tag]?.map(\.step), logged, tag)
        }
        // Values are float32 in the event file.
        func assertClose(_ tag: String, step: Int, _ expected: Double, file: StaticString = #filePath, line: UInt = #line) {
            guard let value = scalars[tag]?.first(where: { $0.step == step })?.value else {
                return XCTFail("no \(tag) at step \(step)", file: file, line: line)
            }
            XCTAssertEqual(value, expected, accuracy: abs(expected) * 1e-6 + 1e-9, "\(tag) at step \(step)", file: file, line: line)
        }
        for row in metrics {
            let end = row.epoch * stepsPerEpoch
            assertClose("train/loss", step: end, row.trainLoss)
            assertClose("train/accuracy", step: end, row.trainAccuracy)
            assertClose("train/lr", step: end, row.learningRate)
            assertClose("test/loss", step: end, row.testLoss ?? .nan)
            assertClose("test/accuracy", step: end, row.testAccuracy ?? .nan)
        }
        XCTAssertEqual(scalars["test/accuracy"]?.map(\.step), [118, 236])
    }

    /// The page holds every part, then Chromium renders it: charts in the DOM, and a picture that is not blank.
    func testReportPageHasEveryPartAndRendersInChromium() throws {
        let folder = temporaryFolder()
        try train(["model=cnn", "batch_size=256", "epochs=1", "seed=1"], folder: folder)
        let html = try String(contentsOfFile: "\(folder)/report.html", encoding: .utf8)
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"chart\"").count - 1, 3, "loss, accuracy and learning-rate charts")
        XCTAssertEqual(html.components(separatedBy: "<svg class=\"confusion\"").count - 1, 1)
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"mistake\">").count - 1, RunRecorder.mistakeCount)
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"filter\">").count - 1, 6, "conv1 has n_feature = 6 filters")
        for part in ["Misclassified test images", "conv1", "fc2", "6,422", "Resolved config", "model: cnn", "training images/s", "machine"] {
            XCTAssertTrue(html.contains(part), "the page lacks \(part)")
        }
        XCTAssertFalse(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"), "nothing to fetch: every image and chart is inline")

        let dom = try ExternalTools.render(page: "\(folder)/report.html", height: 1600).dom
        XCTAssertEqual(dom.components(separatedBy: "<svg").count - 1, 4, "three charts and the confusion matrix in the rendered DOM")
        XCTAssertGreaterThan(dom.components(separatedBy: "<polyline").count - 1, 4)
    }

    func testCompareWritesOneSubfolderPerRunAndAnOverlayPage() throws {
        try Prerequisite.requirePython(["tensorboard"])
        let folder = temporaryFolder()
        let compareFile = "\(folder)-compare.yaml"
        folders.append(compareFile)
        try """
            defaults:
              dataset: {name: mnist, data_dir: \(TrainingSessionTests.dataDirectory)}
              epochs: 1
              batch_size: 512
            runs:
              - {name: small, model: fc2layer}
              - {name: conv, model: cnn}
            """.write(toFile: compareFile, atomically: true, encoding: .utf8)
        try Prerequisite.requireMNIST()
        let command = try CompareCommand.parse([compareFile, "--out", folder, "--quiet"])
        try command.run()
        let page = try String(contentsOfFile: "\(folder)/report.html", encoding: .utf8)
        XCTAssertEqual(page.components(separatedBy: "<svg class=\"chart\"").count - 1, 2)
        for run in ["small", "conv"] {
            XCTAssertTrue(page.contains("\(run)/report.html"))
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(folder)/\(run)/report.html"))
        }
        // `tensorboard --logdir FOLDER` sees one run per subfolder.
        let runs = try ExternalTools.python("""
            import sys
            from tensorboard.backend.event_processing.event_multiplexer import EventMultiplexer
            m = EventMultiplexer(); m.AddRunsFromDirectory(sys.argv[1]); m.Reload()
            print(",".join(sorted(r for r, tags in m.Runs().items() if "test/accuracy" in tags["scalars"])))
            """, [folder])
        XCTAssertEqual(runs.trimmingCharacters(in: .whitespacesAndNewlines), "conv,small")
    }

    /// With a validation split and a moving average, TensorBoard has `val/`, `ema_test/` and `ema_val/` beside `test/`,
    /// each equal to its metrics.csv column at the epoch's end; the axis counts the training batches left after the hold-out.
    func testTensorBoardHasValidationAndMovingAverageScalars() throws {
        try Prerequisite.requirePython(["tensorboard"])
        let folder = temporaryFolder()
        try train(["model=fc2layer", "dataset.train_limit=2000", "validation_split=0.2", "ema.decay=0.9", "batch_size=400", "epochs=1"], folder: folder)
        let scalars = try tensorBoardScalars(folder)
        let csv = try String(contentsOfFile: "\(folder)/metrics.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        // 1,600 training images in batches of 400.
        for (tag, column) in [("val/loss", "val_loss"), ("val/accuracy", "val_accuracy"), ("ema_test/loss", "ema_test_loss"),
                              ("ema_test/accuracy", "ema_test_accuracy"), ("ema_val/loss", "ema_val_loss"), ("ema_val/accuracy", "ema_val_accuracy")] {
            let expected = try XCTUnwrap(Double(csv[1][try XCTUnwrap(csv[0].firstIndex(of: Substring(column)), column)]))
            XCTAssertEqual(scalars[tag]?.map(\.step), [4], tag)
            XCTAssertEqual(scalars[tag]?.first?.value ?? -1, expected, accuracy: abs(expected) * 1e-6 + 1e-9, tag)
        }
    }
}
