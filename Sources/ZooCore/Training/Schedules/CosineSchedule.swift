import Foundation

/// CosineAnnealingLR from the base rate down to `eta_min` over `t_max` epochs (default: the whole run).
public struct CosineSchedule: ScheduleSettings {
    public static let name = "cosine"
    public static let keys = ["t_max", "eta_min"]
    public static let summary = "cosine (t_max the run's epochs, eta_min 0)"
    public var maximumEpochs: Int
    public var minimum: Double

    public static func read(_ settings: any SettingsReader, epochs: Int) throws -> CosineSchedule {
        let minimum = try settings.minimumRate()
        return CosineSchedule(maximumEpochs: try settings.integer("t_max", default: epochs, atLeast: 1), minimum: minimum)
    }

    public var written: [(key: String, value: ArgumentValue)] { [("t_max", .int(maximumEpochs)), ("eta_min", .double(minimum))] }

    public func learningRate(base: Double, epoch: Int) -> Double { learningRate(base: base, step: epoch, stepsPerEpoch: 1) }

    public func learningRate(base: Double, step: Int, stepsPerEpoch: Int) -> Double {
        minimum + (base - minimum) * (1 + cos(Double.pi * Double(step) / Double(maximumEpochs * stepsPerEpoch))) / 2
    }
}

extension LearningRateSchedule {
    public static func cosine(maximumEpochs: Int, minimum: Double) -> LearningRateSchedule {
        LearningRateSchedule(CosineSchedule(maximumEpochs: maximumEpochs, minimum: minimum))
    }
}
