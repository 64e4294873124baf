import Foundation
import XCTest
@testable import ZooCLI
@testable import ZooTraining
import ZooConfig
import ZooCore
import ZooData
import ZooReport
import ZooTestSupport

/// `validation_split`, `ema` and `early_stopping` end to end on real MNIST, with a small net that has batch norm
/// (so the average covers running statistics too).
extension TrainingSessionTests {
    private func batchNormNet() throws -> String {
        let path = temporaryFolder() + ".yaml"
        try "name: mlp-bn\nlayers:\n  - flatten\n  - linear: 24\n  - batchnorm\n  - relu\n  - linear: num_classes\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func recipe(_ model: String) -> [String] {
        ["model=\(model)", "dataset.train_limit=3000", "validation_split=0.1", "optimizer.name=sgd", "optimizer.lr=0.1",
         "optimizer.momentum=0.9", "batch_size=100", "seed=5", "ema.decay=0.9", "ema.warmup=true"]
    }

    /// metrics.csv without its timing columns.
    private func figures(_ folder: String) throws -> [[Substring]] {
        let lines = try String(contentsOfFile: "\(folder)/metrics.csv", encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false)
        let timings = Set(["seconds", "images_per_sec"].compactMap { header.firstIndex(of: $0) })
        return lines.map { $0.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { !timings.contains($0.offset) }.map(\.element) }
    }

    /// Three epochs straight equal two, a resume and one more: trained weights, moving average, optimizer, the
    /// watched metric's state and every figure in metrics.csv but the timings.
    func testResumeIsExactWithValidationMovingAverageAndEarlyStopping() throws {
        try Prerequisite.requireMNIST()
        let settings = recipe(try batchNormNet()) + ["early_stopping.metric=val_loss", "early_stopping.patience=3", "epochs=3"]
        let straight = temporaryFolder(), resumed = temporaryFolder()
        _ = try session(settings, folder: straight).run()
        _ = try session(settings + ["epochs=2"], folder: resumed).run()
        _ = try session(settings, folder: resumed, resume: true).run()

        let expected = try Checkpoint.read(path: "\(straight)/last.safetensors")
        let actual = try Checkpoint.read(path: "\(resumed)/last.safetensors")
        XCTAssertEqual(actual.metadata["epoch"], "3")
        XCTAssertFalse(expected.movingAverage.isEmpty)
        for (what, expectedTensors, actualTensors) in [("weights", expected.parameters, actual.parameters),
                                                       ("average", expected.movingAverage, actual.movingAverage),
                                                       ("trained", expected.trainedWeights, actual.trainedWeights)] {
            XCTAssertEqual(Set(actualTensors.keys), Set(expectedTensors.keys), what)
            for (name, tensor) in expectedTensors {
                XCTAssertEqual(try actualTensors[name]?.floats, try tensor.floats, "\(what) \(name) differs after resuming")
            }
        }
        XCTAssertEqual(actual.optimizer, expected.optimizer)
        for key in [CheckpointKey.monitor, .movingAverageUpdates, .weights, .stepsPerEpoch] {
            XCTAssertEqual(actual.metadata[key.rawValue], expected.metadata[key.rawValue], key.rawValue)
        }
        // 3,000 images less 300 held out, in batches of 100.
        XCTAssertEqual(actual.metadata[CheckpointKey.stepsPerEpoch.rawValue], "27")
        XCTAssertEqual(actual.metadata[CheckpointKey.movingAverageUpdates.rawValue], "81")
        XCTAssertEqual(try figures(resumed), try figures(straight))
        XCTAssertEqual(try figures(straight).first?.map(String.init),
                       ["epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "val_loss", "val_accuracy", "ema_test_loss",
                        "ema_test_accuracy", "ema_val_loss", "ema_val_accuracy", "weights", "warning"])
    }

    /// A min_delta no epoch can beat leaves the first epoch the best: after `patience` more the run stops, and
    /// last.safetensors holds epoch 1's weights (Keras' restore_best_weights), with the epoch it stopped at.
    func testEarlyStoppingRestoresTheBestEpochsWeights() throws {
        try Prerequisite.requireMNIST()
        let folder = temporaryFolder()
        let settings = recipe(try batchNormNet()) + ["early_stopping.metric=val_accuracy", "early_stopping.patience=2",
                                                    "early_stopping.min_delta=1", "epochs=6"]
        let outcome = try session(settings, folder: folder).run()
        XCTAssertEqual(outcome.epochs, 3)
        let last = try Checkpoint.read(path: "\(folder)/last.safetensors")
        let best = try Checkpoint.read(path: "\(folder)/best.safetensors")
        XCTAssertEqual(last.metadata["epoch"], "3")
        XCTAssertEqual(best.metadata["epoch"], "1")
        for (name, tensor) in best.parameters {
            XCTAssertEqual(try last.parameters[name]?.floats, try tensor.floats, "\(name) is not the best epoch's")
        }
        for (name, tensor) in best.movingAverage {
            XCTAssertEqual(try last.movingAverage[name]?.floats, try tensor.floats, "the average of \(name) is not the best epoch's")
        }
        XCTAssertEqual(last.metadata[CheckpointKey.weights.rawValue], best.metadata[CheckpointKey.weights.rawValue])
        for (name, tensor) in best.trainedWeights {
            XCTAssertEqual(try last.trainedWeights[name]?.floats, try tensor.floats, "the trained \(name) is not the best epoch's")
        }
        XCTAssertEqual(try String(contentsOfFile: "\(folder)/metrics.csv", encoding: .utf8).split(separator: "\n").count, 4)
        XCTAssertThrowsError(try session(settings + ["epochs=8"], folder: folder, resume: true)) { error in
            XCTAssertTrue("\(error)".contains("this run stopped early after epoch 3: val_accuracy had not improved for 2 epochs"), "\(error)")
        }
    }

    /// The checkpoint holds the average exactly when it scored better on the validation split, and says so;
    /// best.safetensors is picked by validation accuracy, not by the test set.
    func testCheckpointHoldsTheAverageWhenItScoresBetter() throws {
        try Prerequisite.requireMNIST()
        let folder = temporaryFolder()
        // At this rate the trained weights are noisy, and the average scores better in both epochs.
        _ = try session(recipe(try batchNormNet()) + ["optimizer.lr=0.4", "epochs=2"], folder: folder).run()
        let rows = try String(contentsOfFile: "\(folder)/metrics.csv", encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let column = { (name: String) in rows[0].firstIndex(of: Substring(name))! }
        let last = try Checkpoint.read(path: "\(folder)/last.safetensors")
        let averageBetter = Double(rows[2][column("ema_val_accuracy")])! > Double(rows[2][column("val_accuracy")])!
        XCTAssertTrue(averageBetter)
        XCTAssertEqual(last.metadata[CheckpointKey.weights.rawValue], averageBetter ? "ema" : "trained")
        XCTAssertEqual(String(rows[2][column("weights")]), averageBetter ? "ema" : "trained")
        XCTAssertEqual(last.trainedWeights.isEmpty, !averageBetter)
        for (name, tensor) in last.parameters {
            XCTAssertEqual(try tensor.floats, try (averageBetter ? last.movingAverage : last.trainedWeights.isEmpty ? last.parameters : last.trainedWeights)[name]?.floats)
        }
        // Evaluating the checkpoint alone scores the average, as its metadata says.
        let model = try RestoredModel(path: "\(folder)/last.safetensors", batchSize: 1000)
        let data = try DatasetCatalog.load(.mnist, dataDirectory: Self.dataDirectory)
        let loader = try BatchLoader(split: data.test, batchSize: 1000, shuffle: false, seed: 0, transforms: [],
                                     normalization: model.description.normalization)
        let accuracy = try model.network.evaluate(data: loader, loss: model.description.loss).accuracy
        XCTAssertEqual(accuracy, Double(rows[2][column("ema_test_accuracy")])!, accuracy: 1e-9)
        XCTAssertEqual(model.description.testAccuracy ?? -1, accuracy, accuracy: 1e-9)
        let monitor = try CheckpointMetadata(last.metadata, path: "last").json(.monitor, as: EpochMonitor.self)
        XCTAssertEqual(monitor.metric, .valAccuracy)
        let chosen = (1...2).map { epoch -> Double in
            let row = rows[epoch]
            return max(Double(row[column("val_accuracy")])!, Double(row[column("ema_val_accuracy")])!)
        }
        XCTAssertEqual(monitor.best, chosen.max())
        XCTAssertEqual(monitor.bestEpoch, chosen[1] > chosen[0] ? 2 : 1)
    }

    /// `evaluate_every: 2` over 5 epochs evaluates after epochs 2, 4 and 5 (the last always): the other rows leave
    /// every evaluation column empty and best.safetensors comes from an evaluated epoch. Two epochs and a resume for
    /// three more (the first of them not evaluated) give the same weights and figures as the straight run.
    func testEvaluateEveryTrainsTheEpochsBetweenWithoutEvaluating() throws {
        try Prerequisite.requireMNIST()
        let folder = temporaryFolder(), resumed = temporaryFolder()
        let settings = recipe(try batchNormNet()) + ["evaluate_every=2", "epochs=5"]
        _ = try session(settings, folder: folder).run()
        _ = try session(settings + ["epochs=2"], folder: resumed).run()
        _ = try session(settings, folder: resumed, resume: true).run()
        XCTAssertEqual(try figures(resumed), try figures(folder))
        let (straightLast, resumedLast) = (try Checkpoint.read(path: "\(folder)/last.safetensors"), try Checkpoint.read(path: "\(resumed)/last.safetensors"))
        for (name, tensor) in straightLast.parameters {
            XCTAssertEqual(try resumedLast.parameters[name]?.floats, try tensor.floats, "\(name) differs after resuming")
        }
        let rows = try String(contentsOfFile: "\(folder)/metrics.csv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = rows[0]
        let evaluated = ["test_loss", "test_accuracy", "val_loss", "val_accuracy", "ema_test_loss", "ema_test_accuracy", "ema_val_loss",
                         "ema_val_accuracy", "weights"].map { header.firstIndex(of: $0)! }
        XCTAssertEqual(rows.count, 6)
        for epoch in 1...5 {
            let values = evaluated.map { rows[epoch][$0] }
            XCTAssertEqual(values.allSatisfy(\.isEmpty), [1, 3].contains(epoch), "epoch \(epoch): \(values)")
            XCTAssertFalse(values.contains(where: \.isEmpty) && ![1, 3].contains(epoch), "epoch \(epoch): \(values)")
            XCTAssertNotNil(Double(rows[epoch][header.firstIndex(of: "train_loss")!]))
        }
        let best = try Checkpoint.read(path: "\(folder)/best.safetensors")
        XCTAssertTrue(["2", "4", "5"].contains(best.metadata["epoch"] ?? ""), "\(best.metadata["epoch"] ?? "none")")
        XCTAssertEqual(try Checkpoint.read(path: "\(folder)/last.safetensors").metadata["epoch"], "5")
        let history = RunRecorder.history(ofRun: folder)
        XCTAssertEqual(history.map(\.epoch), [1, 2, 3, 4, 5])
        XCTAssertEqual(history.map { $0.testAccuracy == nil }, [true, false, true, false, false])
        XCTAssertEqual(history.lastEvaluated?.epoch, 5)
        let steps = try String(contentsOfFile: "\(folder)/steps.csv", encoding: .utf8)
        XCTAssertEqual(StepMetrics.parse(csv: steps).last?.position, 5)
    }

    /// The hold-out is a partition: the same number from each class, none trained on, and a split that would leave
    /// a side empty is refused.
    func testValidationSplitHoldsOutBalancedImages() throws {
        let split = try DatasetSplit(images: (0..<50).map(UInt8.init), labels: (0..<50).map { UInt8($0 % 5) }, channels: 1, height: 1, width: 1)
        let (validation, training) = try TrainingSession.holdOut(0.2, of: split, seed: 1)
        XCTAssertEqual(validation.count, 10)
        XCTAssertEqual(Set(validation.labels.map { $0 }).count, 5)
        XCTAssertTrue(Set(validation.images).isDisjoint(with: training.images), "no held-out image is trained on")
        XCTAssertEqual(validation.count + training.count, 50)
        XCTAssertThrowsError(try TrainingSession.holdOut(0.001, of: split, seed: 1)) { error in
            XCTAssertTrue("\(error)".contains("validation_split 0.001 of 50 training images would hold out 0 of them"), "\(error)")
        }
    }
}
