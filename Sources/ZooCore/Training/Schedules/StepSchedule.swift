import Foundation

/// StepLR: multiply by `gamma` every `step_size` epochs.
public struct StepSchedule: ScheduleSettings {
    public static let name = "step"
    public static let keys = ["step_size", "gamma"]
    public static let summary = "step (step_size required, gamma 0.1)"
    public var stepSize: Int
    public var gamma: Double

    public static func read(_ settings: any SettingsReader, epochs: Int) throws -> StepSchedule {
        let gamma = try settings.gamma()
        return StepSchedule(stepSize: try settings.integer("step_size", default: nil, atLeast: 1), gamma: gamma)
    }

    public var written: [(key: String, value: ArgumentValue)] { [("step_size", .int(stepSize)), ("gamma", .double(gamma))] }

    public func learningRate(base: Double, epoch: Int) -> Double { base * pow(gamma, Double(epoch / stepSize)) }
}

extension LearningRateSchedule {
    public static func step(stepSize: Int, gamma: Double) -> LearningRateSchedule { LearningRateSchedule(StepSchedule(stepSize: stepSize, gamma: gamma)) }
}
