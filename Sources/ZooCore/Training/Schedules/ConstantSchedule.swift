/// `schedule: none`: the base learning rate every epoch.
public struct ConstantSchedule: ScheduleSettings {
    public static let name = "none"
    public static let keys: [String] = []
    public static let summary = "none"

    public static func read(_ settings: any SettingsReader, epochs: Int) throws -> ConstantSchedule { ConstantSchedule() }

    public var written: [(key: String, value: ArgumentValue)] { [] }

    public func learningRate(base: Double, epoch: Int) -> Double { base }
}

extension LearningRateSchedule {
    public static var constant: LearningRateSchedule { LearningRateSchedule(ConstantSchedule()) }
}
