import Foundation
import XCTest
@testable import ZooCore
import ZooTestSupport
import ZooTraining

final class TrainerTests: XCTestCase {
    private let layers: [LayerDescription] = [
        .init(type: "linear", arguments: ["out": .init(.int(16))]), .init(type: "relu"),
        .init(type: "dropout", arguments: ["p": .init(.double(0.1))]),
        .init(type: "linear", arguments: ["out": .init(.int(4))]),
    ]

    private func makeTrainer(seed: UInt64 = 5) throws -> Trainer {
        let network = try Network(layers: layers, inputShape: Shape([4]), seed: seed)
        return Trainer(network: network, optimizer: try Adam(parameters: network.namedParameters, learningRate: 0.01), loss: .crossEntropy)
    }

    func testTrainingLearnsAndEvaluationCountsEverySample() throws {
        let trainer = try makeTrainer()
        let data = ArrayBatchSource.quadrants(count: 500, seed: 1, batchSize: 32)
        let before = try trainer.evaluate(data: data)
        var reports = 0
        for epoch in 0..<15 { _ = try trainer.trainEpoch(epoch, data: data) { _ in reports += 1 } }
        let after = try trainer.evaluate(data: ArrayBatchSource.quadrants(count: 300, seed: 2, batchSize: 64))
        XCTAssertEqual(reports, 15 * 16, "one report per step; the last batch of 500/32 is partial")
        XCTAssertEqual(after.total, 300)
        XCTAssertEqual(after.confusion.flatMap { $0 }.reduce(0, +), 300)
        XCTAssertGreaterThan(after.accuracy, 0.9, "was \(before.accuracy) before training")
        XCTAssertLessThan(after.loss, before.loss)
    }

    func testDivergingLossStopsWithAClearError() throws {
        let network = try Network(layers: layers, inputShape: Shape([4]))
        let trainer = Trainer(network: network, optimizer: try SGD(parameters: network.namedParameters, learningRate: 1e30), loss: .crossEntropy)
        let data = ArrayBatchSource.quadrants(count: 64, seed: 1, batchSize: 8)
        XCTAssertThrowsError(try trainer.trainEpoch(0, data: data)) { error in
            XCTAssertTrue("\(error)".contains("training diverged: the loss became"), "\(error)")
            XCTAssertTrue("\(error)".contains("lower the learning rate"), "\(error)")
        }
    }

    func testStopRequestEndsTheEpochAfterTheCurrentStep() throws {
        let trainer = try makeTrainer()
        var steps = 0
        trainer.shouldStop = { steps >= 3 }
        let result = try trainer.trainEpoch(0, data: ArrayBatchSource.quadrants(count: 320, seed: 1, batchSize: 32)) { _ in steps += 1 }
        XCTAssertTrue(result.interrupted)
        XCTAssertEqual(result.images, 96)
    }

    func testResumingFromACheckpointGivesTheSameWeightsAsTrainingStraightThrough() throws {
        let data = ArrayBatchSource.quadrants(count: 200, seed: 3, batchSize: 16)
        let straight = try makeTrainer()
        for epoch in 0..<2 { _ = try straight.trainEpoch(epoch, data: data) }

        let first = try makeTrainer()
        _ = try first.trainEpoch(0, data: data)
        let path = NSTemporaryDirectory() + "zoo-resume-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint(network: first.network, optimizer: first.optimizer, metadata: ["epoch": "1"]).write(to: path)

        // Same seed as a resumed run's config gives (it also drives dropout); the weights come from the file.
        let resumed = try makeTrainer()
        let checkpoint = try Checkpoint.read(path: path)
        try checkpoint.load(into: resumed.network, path: path)
        try resumed.optimizer.restore(try XCTUnwrap(checkpoint.optimizer))
        XCTAssertEqual(checkpoint.metadata["epoch"], "1")
        _ = try resumed.trainEpoch(1, data: data)

        for ((name, expected), (_, actual)) in zip(straight.network.namedParameters, resumed.network.namedParameters) {
            XCTAssertEqual(try actual.read(), try expected.read(), "\(name) differs after resuming")
        }
    }

    /// The moments of the [16, 4] weight written as [4, 16]: the element count matches, the shape does not.
    func testOptimizerStateInAnotherShapeIsRefusedOnResume() throws {
        let trainer = try makeTrainer()
        _ = try trainer.trainEpoch(0, data: ArrayBatchSource.quadrants(count: 32, seed: 3, batchSize: 16))
        let path = NSTemporaryDirectory() + "zoo-state-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var checkpoint = try Checkpoint(network: trainer.network, optimizer: trainer.optimizer, metadata: [:])
        let key = "0.weight.exp_avg"
        let moments = try XCTUnwrap(checkpoint.optimizer?.tensors[key])
        XCTAssertEqual(moments.shape, [16, 4])
        checkpoint.optimizer?.tensors[key] = SafetensorsTensor(floats: try moments.floats, shape: [4, 16])
        try checkpoint.write(to: path)
        let read = try Checkpoint.read(path: path)
        XCTAssertThrowsError(try makeTrainer().optimizer.restore(try XCTUnwrap(read.optimizer))) { error in
            XCTAssertEqual((error as? ZooError)?.message,
                           "the optimizer state `0.weight.exp_avg` has shape [4, 16], but the parameter `0.weight` has shape [16, 4]")
        }
    }

    func testCheckpointFromAnotherArchitectureIsRefusedByName() throws {
        let trainer = try makeTrainer()
        let path = NSTemporaryDirectory() + "zoo-other-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Checkpoint(network: trainer.network, optimizer: nil, metadata: [:]).write(to: path)
        let wider = try Network(layers: [.init(type: "linear", arguments: ["out": .init(.int(32))]), .init(type: "relu"),
                                         .init(type: "dropout"), .init(type: "linear", arguments: ["out": .init(.int(4))])],
                                inputShape: Shape([4]))
        XCTAssertThrowsError(try Checkpoint.read(path: path).load(into: wider, path: path)) { error in
            XCTAssertTrue("\(error)".contains("tensor `0.weight` is F32 [16, 4] in the checkpoint but F32 [32, 4] in the model"), "\(error)")
        }
    }

    func testAPlainSafetensorsFileIsNotACheckpoint() throws {
        let path = NSTemporaryDirectory() + "zoo-plain-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try SafetensorsFile(tensors: ["w": SafetensorsTensor(floats: [1], shape: [1])]).write(to: path)
        XCTAssertThrowsError(try Checkpoint.read(path: path)) { error in
            XCTAssertTrue("\(error)".contains("is not a zoo checkpoint"), "\(error)")
        }
    }

    /// Each update uses the rate and beta1 of its step of the run: epoch x batches per epoch + batch.
    func testBatchScheduleFollowsTheRunsStepCount() throws {
        let network = try Network(layers: [.init(type: "linear", arguments: ["out": .init(.int(4))])], inputShape: Shape([4]), seed: 5)
        let adam = try Adam(parameters: network.namedParameters, learningRate: 0.01)
        let trainer = Trainer(network: network, optimizer: adam, loss: .crossEntropy)
        let schedule = LearningRateSchedule(try OneCycleSchedule.read(ArgumentReader([:], owner: "onecycle"), epochs: 3))
        trainer.batchSchedule = (schedule, 0.01)
        let data = ArrayBatchSource.quadrants(count: 100, seed: 1, batchSize: 32)
        var seen: [(rate: Double, beta1: Double)] = []
        for epoch in 0..<3 {
            _ = try trainer.trainEpoch(epoch, data: data) { _ in seen.append((adam.learningRate, adam.beta1)) }
        }
        XCTAssertEqual(seen.count, 12)
        for (step, values) in seen.enumerated() {
            let expected = schedule.position(base: 0.01, step: step, stepsPerEpoch: 4)
            XCTAssertEqual(values.rate, expected.learningRate, accuracy: 1e-15, "step \(step)")
            XCTAssertEqual(values.beta1, expected.momentum ?? .nan, accuracy: 1e-15, "step \(step)")
        }
    }
}
