import XCTest
@testable import ZooCore

/// The trainer's part of issue 21's recipes: a schedule stepping every batch, counted over the whole run.
final class RecipeTrainerTests: XCTestCase {
    /// Each update uses the rate and beta1 of its step of the run: epoch x batches per epoch + batch.
    func testBatchScheduleFollowsTheRunsStepCount() throws {
        let network = try Network(layers: [.init(type: "linear", arguments: ["out": .init(.int(4))])], inputShape: Shape([4]), seed: 5)
        let adam = try Adam(parameters: network.namedParameters, learningRate: 0.01)
        let trainer = Trainer(network: network, optimizer: adam, loss: .crossEntropy)
        let schedule = LearningRateSchedule(try OneCycleSchedule.read(DictionarySettingsReader([:], owner: "onecycle"), epochs: 3))
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
