/// SequentialLR: a linear warm-up, then cosine annealing counted from the end of the warm-up
/// (`t_max` defaults to the epochs left after it).
public struct WarmupCosineSchedule: ScheduleSettings {
    public static let name = "warmup_cosine"
    public static let keys = ["warmup_epochs", "start_factor", "t_max", "eta_min"]
    public static let summary = "warmup_cosine (warmup_epochs required, start_factor 0.1, t_max the epochs after it, eta_min 0)"
    public var warmup: WarmupSchedule
    public var cosine: CosineSchedule

    public static func read(_ settings: any SettingsReader, epochs: Int) throws -> WarmupCosineSchedule {
        let startFactor = try settings.startFactor()
        let minimum = try settings.minimumRate()
        let warmupEpochs = try settings.integer("warmup_epochs", default: nil, atLeast: 1)
        let maximumEpochs = try settings.integer("t_max", default: max(epochs - warmupEpochs, 1), atLeast: 1)
        return WarmupCosineSchedule(warmup: WarmupSchedule(epochs: warmupEpochs, startFactor: startFactor),
                                    cosine: CosineSchedule(maximumEpochs: maximumEpochs, minimum: minimum))
    }

    public var written: [(key: String, value: ArgumentValue)] {
        [("warmup_epochs", .int(warmup.epochs)), ("start_factor", .double(warmup.startFactor)),
         ("t_max", .int(cosine.maximumEpochs)), ("eta_min", .double(cosine.minimum))]
    }

    public func learningRate(base: Double, epoch: Int) -> Double { learningRate(base: base, step: epoch, stepsPerEpoch: 1) }

    public func learningRate(base: Double, step: Int, stepsPerEpoch: Int) -> Double {
        let warmupSteps = warmup.epochs * stepsPerEpoch
        return step < warmupSteps ? warmup.learningRate(base: base, step: step, stepsPerEpoch: stepsPerEpoch)
            : cosine.learningRate(base: base, step: step - warmupSteps, stepsPerEpoch: stepsPerEpoch)
    }
}

extension LearningRateSchedule {
    public static func warmupCosine(warmupEpochs: Int, startFactor: Double, maximumEpochs: Int, minimum: Double) -> LearningRateSchedule {
        LearningRateSchedule(WarmupCosineSchedule(warmup: WarmupSchedule(epochs: warmupEpochs, startFactor: startFactor),
                                                  cosine: CosineSchedule(maximumEpochs: maximumEpochs, minimum: minimum)))
    }
}
