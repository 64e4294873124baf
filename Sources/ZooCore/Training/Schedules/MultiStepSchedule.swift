import Foundation

/// MultiStepLR: multiply by `gamma` at each milestone epoch.
public struct MultiStepSchedule: ScheduleSettings {
    public static let name = "multistep"
    public static let keys = ["milestones", "gamma"]
    public static let summary = "multistep (milestones required, gamma 0.1)"
    public var milestones: [Int]
    public var gamma: Double

    public static func read(_ settings: any SettingsReader, epochs: Int) throws -> MultiStepSchedule {
        let gamma = try settings.gamma()
        guard let milestones = try settings.increasingIntegers("milestones", atLeast: 1) else { throw settings.missing("milestones") }
        return MultiStepSchedule(milestones: milestones, gamma: gamma)
    }

    public var written: [(key: String, value: ArgumentValue)] { [("milestones", .list(milestones.map { .int($0) })), ("gamma", .double(gamma))] }

    public func learningRate(base: Double, epoch: Int) -> Double { base * pow(gamma, Double(milestones.filter { $0 <= epoch }.count)) }
}

extension LearningRateSchedule {
    public static func multiStep(milestones: [Int], gamma: Double) -> LearningRateSchedule {
        LearningRateSchedule(MultiStepSchedule(milestones: milestones, gamma: gamma))
    }
}
