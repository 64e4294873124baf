import XCTest
import ZooCore

/// Layer arguments and an optimizer's or schedule's settings given as values are read by one reader, so a wrong
/// type, a value out of range and a missing setting are worded alike wherever they come from.
final class SettingsReaderTests: XCTestCase {
    private func errorText(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testOptimizerAndScheduleValuesAreCheckedAsLayerArgumentsAre() {
        XCTAssertEqual(errorText { _ = try OptimizerRegistry.make(named: "sgd", settings: ["lr": .int(-1)], parameters: []) },
                       "error: the sgd optimizer: `lr` must be a number greater than 0, not -1")
        XCTAssertEqual(errorText { _ = try StepSchedule.read(ArgumentReader(["step_size": .string("2")], owner: "the step schedule"), epochs: 3) },
                       "error: the step schedule: `step_size` must be a whole number, not \"2\"")
        XCTAssertEqual(errorText { _ = try StepSchedule.read(ArgumentReader([:], owner: "the step schedule"), epochs: 3) },
                       "error: the step schedule needs `step_size`")
        let at = SourceLocation(file: "net.yaml", line: 4, column: 9)
        XCTAssertEqual(errorText { _ = try LayerRegistry.makeLayer(.init(type: "linear", arguments: ["out": .init(.int(0), at: at)])) },
                       "net.yaml:4:9: error: linear: `out` must be at least 1, not 0")
        XCTAssertEqual(errorText { _ = try LayerRegistry.makeLayer(.init(type: "linear", location: at)) },
                       "net.yaml:4:9: error: linear needs `out` (a whole number)\n  hint: write it as `- linear: {out: ...}`")
    }

    /// `Configured` compares the chosen type, its values and its options (a schedule's `per_step`).
    func testConfiguredSettingsAreEqualOnlyWithTheSameTypeValuesAndOptions() throws {
        XCTAssertEqual(LearningRateSchedule.step(stepSize: 2, gamma: 0.1), .step(stepSize: 2, gamma: 0.1))
        XCTAssertNotEqual(LearningRateSchedule.step(stepSize: 2, gamma: 0.1), .step(stepSize: 3, gamma: 0.1))
        XCTAssertNotEqual(LearningRateSchedule.warmup(epochs: 2, startFactor: 0.1), .step(stepSize: 2, gamma: 0.1))
        var perStep = LearningRateSchedule.step(stepSize: 2, gamma: 0.1)
        perStep.perStep = true
        XCTAssertNotEqual(perStep, .step(stepSize: 2, gamma: 0.1))
        let adam = try Adam.Settings.read(ArgumentReader([:], owner: "adam"), named: true)
        XCTAssertEqual(OptimizerConfig(adam), OptimizerConfig(adam))
        XCTAssertNotEqual(OptimizerConfig(adam), OptimizerConfig(try AdamW.Settings.read(ArgumentReader([:], owner: "adamw"), named: true)))
        XCTAssertNotEqual(OptimizerConfig(adam), OptimizerConfig(try Adam.Settings.read(ArgumentReader(["lr": .double(0.1)], owner: "adam"), named: true)))
    }
}
