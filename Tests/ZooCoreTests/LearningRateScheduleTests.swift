import XCTest
import ZooTestSupport
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

    /// Stepped every batch (7 a epoch, 4 epochs): the rate and momentum at every step equal PyTorch's.
    func testOneCyclePerStep() throws { try checkPerStep("schedule_per_step_onecycle") }
    func testOneCycleThreePhaseLinearWithAdamBeta1() throws { try checkPerStep("schedule_per_step_onecycle_three_phase_linear_adam") }
    func testStepPerStep() throws { try checkPerStep("schedule_per_step_step") }
    func testCosinePerStep() throws { try checkPerStep("schedule_per_step_cosine") }
    func testWarmupCosinePerStep() throws { try checkPerStep("schedule_per_step_warmup_cosine") }

    func testConstantIsTheBaseRate() {
        XCTAssertEqual(LearningRateSchedule.constant.learningRate(base: 0.05, epoch: 7), 0.05)
    }

    /// Reads the fixture's settings through the registry, with `per_step: true`, and sets them on an optimizer
    /// as the trainer does before each update, so the rate and momentum are those the update uses.
    private func checkPerStep(_ name: String) throws {
        let fixture = try Fixture(name)
        var settings = try fixture.metadata("schedule", as: [String: ArgumentValue].self)
        guard case .string(let scheduleName)? = settings.removeValue(forKey: "name"), let type = ScheduleRegistry.type(named: scheduleName),
              let stepsPerEpoch = Int(fixture.file.metadata["steps_per_epoch"] ?? ""), let epochs = Int(fixture.file.metadata["epochs"] ?? ""),
              let base = Double(fixture.file.metadata["base_lr"] ?? "") else { return XCTFail("\(name): bad metadata") }
        let schedule = LearningRateSchedule(try type.read(ArgumentReader(settings, owner: name), epochs: epochs), perStep: true)
        var random = SeededRandom(seed: 0)
        let parameter = try Parameter(ParameterSpec(name: "weight", shape: [1], initializer: .constant(0)), device: Device(), random: &random)
        let optimizer: any MomentumCycling = fixture.file.metadata["optimizer"] == "adam"
            ? try Adam(parameters: [("weight", parameter)], learningRate: base)
            : try SGD(parameters: [("weight", parameter)], learningRate: base, momentum: 0.9)
        var (rates, momenta) = ([Float](), [Float]())
        for step in 0..<(epochs * stepsPerEpoch) {
            optimizer.follow(schedule, base: base, step: step, stepsPerEpoch: stepsPerEpoch)
            rates.append(Float(optimizer.learningRate))
            momenta.append(Float(optimizer.cycledMomentum))
        }
        assertClose(rates, try fixture.floats("lrs"), tolerance: 1e-6, "\(name) lr")
        assertClose(momenta, try fixture.floats("momenta"), tolerance: 1e-6, "\(name) momentum")
    }

    private func check(_ name: String, _ schedule: LearningRateSchedule) throws {
        let fixture = try Fixture(name)
        let expected = try fixture.floats("lrs")
        let base = try fixture.metadata("base_lr", as: Double.self)
        let actual = expected.indices.map { Float(schedule.learningRate(base: base, epoch: $0)) }
        assertClose(actual, expected, tolerance: 1e-6, name)
    }
}
