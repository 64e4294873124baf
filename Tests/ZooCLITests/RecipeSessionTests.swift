import Foundation
import XCTest
@testable import ZooCLI
@testable import ZooTraining
import ZooConfig
import ZooCore
import ZooData
import ZooTestSupport

/// Issue 21's recipes end to end on real MNIST: a schedule stepping every batch resumes exactly, and only
/// at the batch size it was trained with.
extension TrainingSessionTests {
    /// onecycle over two epochs with SGD momentum cycling, label smoothing, MixUp and CutMix: two epochs straight
    /// equal one epoch, a resume and one more (rate, momentum and momentum buffers included), and it learns.
    func testOneCycleWithMixingResumesExactly() throws {
        try Prerequisite.requireMNIST()
        let recipe = ["model=fc2layer", "optimizer.name=sgd", "optimizer.lr=0.05", "schedule.name=onecycle", "schedule.epochs=2",
                      "loss.name=cross_entropy", "loss.label_smoothing=0.1", "dataset.mixup.alpha=0.2", "dataset.cutmix.alpha=1.0",
                      "batch_size=256", "epochs=2", "seed=4"]
        let straight = temporaryFolder()
        let outcome = try session(recipe, folder: straight).run()
        XCTAssertGreaterThan(outcome.testAccuracy, 0.8, "fc2layer scores 89.6% here")
        let resumed = temporaryFolder()
        _ = try session(recipe + ["epochs=1"], folder: resumed).run()
        _ = try session(recipe, folder: resumed, resume: true).run()

        let expected = try Checkpoint.read(path: "\(straight)/last.safetensors")
        let actual = try Checkpoint.read(path: "\(resumed)/last.safetensors")
        for (name, tensor) in expected.parameters {
            XCTAssertEqual(try actual.parameters[name]?.floats, try tensor.floats, "\(name) differs after resuming")
        }
        XCTAssertEqual(actual.optimizer, expected.optimizer)
        XCTAssertEqual(actual.metadata[CheckpointKey.stepsPerEpoch.rawValue], "235", "60,000 images in batches of 256")
    }

    func testPerStepScheduleRefusesAResumeAtAnotherBatchSize() throws {
        try Prerequisite.requireMNIST()
        let recipe = ["model=fc2layer", "schedule.name=cosine", "schedule.t_max=2", "schedule.per_step=true", "batch_size=500", "seed=4"]
        let folder = temporaryFolder()
        _ = try session(recipe + ["epochs=1"], folder: folder).run()
        XCTAssertThrowsError(try session(recipe + ["epochs=2", "batch_size=1000"], folder: folder, resume: true)) { error in
            let error = error as? ZooError
            XCTAssertEqual(error?.message.contains("the cosine schedule steps every batch, but this run had 120 batches an epoch and the resume would have 60"), true,
                           "\(String(describing: error))")
            XCTAssertEqual(error?.place, "\(folder)/last.safetensors")
        }
        XCTAssertNoThrow(try session(recipe + ["epochs=2"], folder: folder, resume: true))
    }

    /// `tta` scores zoo train's test evaluation (so its accuracy is the checkpoint's under TTA, not without),
    /// and `zoo eval --tta` runs the same views. Mirrored digits are other digits, so hflip costs accuracy here.
    func testTestTimeAugmentationScoresTheTestSet() throws {
        try Prerequisite.requireMNIST()
        let folder = temporaryFolder()
        let outcome = try session(["model=fc2layer", "tta=[hflip, translate]", "batch_size=500", "epochs=1", "seed=2"], folder: folder).run()
        let path = "\(folder)/last.safetensors"
        let model = try RestoredModel(path: path, batchSize: 1000)
        let data = try DatasetCatalog.load(.mnist, dataDirectory: Self.dataDirectory)
        let loader = try BatchLoader(split: data.test, batchSize: 1000, shuffle: false, seed: 0, transforms: [],
                                     normalization: model.description.normalization)
        let views = TestTimeAugmentation(views: [.hflip, .translate])
        let augmented = try model.network.evaluate(data: loader, loss: model.description.loss, testTimeAugmentation: views)
        let plain = try model.network.evaluate(data: loader, loss: model.description.loss)
        XCTAssertEqual(outcome.testAccuracy, augmented.accuracy, accuracy: 1e-9)
        XCTAssertNotEqual(augmented.correct, plain.correct)
        XCTAssertNoThrow(try EvalCommand.parse([path, "--data-dir", Self.dataDirectory, "--tta", "hflip,translate"]).run())
        // Without --tta, zoo eval scores with the run's views, so it reproduces the run's accuracy; --tta none does not.
        func evaluated(_ arguments: [String]) throws -> (correct: Int, views: [String]) {
            let result = try CommandLineTests.run(["eval", path, "--data-dir", Self.dataDirectory, "--json"] + arguments, directory: folder)
            XCTAssertEqual(result.status, 0, result.error)
            let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
            return (try XCTUnwrap(report["correct"] as? Int), try XCTUnwrap(report["tta"] as? [String]))
        }
        let byDefault = try evaluated([])
        XCTAssertEqual(byDefault.correct, augmented.correct)
        XCTAssertEqual(byDefault.views, ["hflip", "translate"])
        let single = try evaluated(["--tta", "none"])
        XCTAssertEqual(single.correct, plain.correct)
        XCTAssertEqual(single.views, [])
        XCTAssertEqual(try EvalCommand.testTimeAugmentation("translate"), TestTimeAugmentation(views: [.translate]))
        XCTAssertThrowsError(try EvalCommand.testTimeAugmentation("hflip,rotate")) { XCTAssertTrue("\($0)".contains("unknown --tta view `rotate`")) }
    }
}
