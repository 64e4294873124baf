import XCTest
@testable import ZooCore

/// Schedules against torch.optim.lr_scheduler over 12 epochs, including past a cosine's t_max.
final class LearningRateScheduleTests: XCTestCase {
    func testStep() throws { try check("schedule_step", .step(stepSize: 3, gamma: 0.1)) }
    func testMultiStep() throws { try check("schedule_multistep", .multiStep(milestones: [2, 5], gamma: 0.5)) }
    func testCosine() throws { try check("schedule_cosine", .cosine(maximumEpochs: 10, minimum: 0.001)) }
    func testWarmup() throws { try check("schedule_warmup", .warmup(epochs: 3, startFactor: 0.1)) }
    func testWarmupThenCosine() throws {
        try check("schedule_warmup_cosine", .warmupCosine(warmupEpochs: 2, startFactor: 0.1, maximumEpochs: 8, minimum: 0))
    }

    func testConstantIsTheBaseRate() {
        XCTAssertEqual(LearningRateSchedule.constant.learningRate(base: 0.05, epoch: 7), 0.05)
    }

    private func check(_ name: String, _ schedule: LearningRateSchedule) throws {
        let fixture = try Fixture(name)
        let expected = try fixture.floats("lrs")
        let base = try fixture.metadata("base_lr", as: Double.self)
        let actual = expected.indices.map { Float(schedule.learningRate(base: base, epoch: $0)) }
        assertClose(actual, expected, tolerance: 1e-6, name)
    }
}
