/// LinearLR: from `start_factor` times the base rate up to the base rate over `epochs`.
public struct WarmupSchedule: ScheduleSettings {
    public static let name = "warmup"
    public static let keys = ["epochs", "start_factor"]
    public static let summary = "warmup (epochs required, start_factor 0.1)"
    public var epochs: Int
    public var startFactor: Double

    public static func read(_ settings: any SettingsReader, epochs: Int) throws -> WarmupSchedule {
        let startFactor = try settings.startFactor()
        return WarmupSchedule(epochs: try settings.integer("epochs", default: nil, atLeast: 1), startFactor: startFactor)
    }

    public var written: [(key: String, value: ArgumentValue)] { [("epochs", .int(epochs)), ("start_factor", .double(startFactor))] }

    public func learningRate(base: Double, epoch: Int) -> Double { learningRate(base: base, step: epoch, stepsPerEpoch: 1) }

    public func learningRate(base: Double, step: Int, stepsPerEpoch: Int) -> Double {
        let steps = epochs * stepsPerEpoch
        return base * (startFactor + (1 - startFactor) * Double(min(step, steps)) / Double(steps))
    }
}

extension LearningRateSchedule {
    public static func warmup(epochs: Int, startFactor: Double) -> LearningRateSchedule {
        LearningRateSchedule(WarmupSchedule(epochs: epochs, startFactor: startFactor))
    }
}
