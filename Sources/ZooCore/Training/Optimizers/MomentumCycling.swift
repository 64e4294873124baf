/// An optimizer whose momentum a schedule sets every step, as OneCycleLR's `cycle_momentum` sets SGD's
/// `momentum` and Adam's (and AdamW's) `betas[0]`.
public protocol MomentumCycling: Optimizer {
    var cycledMomentum: Double { get set }
}

extension SGD: MomentumCycling {
    public var cycledMomentum: Double {
        get { momentum }
        set { momentum = newValue }
    }
}

extension Adam: MomentumCycling {
    public var cycledMomentum: Double {
        get { beta1 }
        set { beta1 = newValue }
    }
}

extension Optimizer {
    /// Sets the rate, and the momentum if the schedule cycles it, for `step` batches into the run.
    public func follow(_ schedule: LearningRateSchedule, base: Double, step: Int, stepsPerEpoch: Int) {
        let position = schedule.position(base: base, step: step, stepsPerEpoch: stepsPerEpoch)
        learningRate = position.learningRate
        if let momentum = position.momentum, let cycling = self as? any MomentumCycling { cycling.cycledMomentum = momentum }
    }
}
