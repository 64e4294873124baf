import Foundation

/// Per-epoch learning-rate schedules, in the closed forms of `torch.optim.lr_scheduler`.
public enum LearningRateSchedule: Equatable, Sendable {
    case constant
    /// StepLR: multiply by `gamma` every `stepSize` epochs.
    case step(stepSize: Int, gamma: Double)
    /// MultiStepLR: multiply by `gamma` at each milestone epoch.
    case multiStep(milestones: [Int], gamma: Double)
    /// CosineAnnealingLR.
    case cosine(maximumEpochs: Int, minimum: Double)
    /// LinearLR from `startFactor` to 1 over `epochs`.
    case warmup(epochs: Int, startFactor: Double)
    /// SequentialLR: linear warm-up, then cosine annealing counted from the end of the warm-up.
    case warmupCosine(warmupEpochs: Int, startFactor: Double, maximumEpochs: Int, minimum: Double)

    /// The learning rate for a 0-based epoch.
    public func learningRate(base: Double, epoch: Int) -> Double {
        switch self {
        case .constant:
            return base
        case .step(let stepSize, let gamma):
            return base * pow(gamma, Double(epoch / stepSize))
        case .multiStep(let milestones, let gamma):
            return base * pow(gamma, Double(milestones.filter { $0 <= epoch }.count))
        case .cosine(let maximumEpochs, let minimum):
            return minimum + (base - minimum) * (1 + cos(Double.pi * Double(epoch) / Double(maximumEpochs))) / 2
        case .warmup(let epochs, let startFactor):
            return base * (startFactor + (1 - startFactor) * Double(min(epoch, epochs)) / Double(epochs))
        case .warmupCosine(let warmupEpochs, let startFactor, let maximumEpochs, let minimum):
            if epoch < warmupEpochs { return LearningRateSchedule.warmup(epochs: warmupEpochs, startFactor: startFactor).learningRate(base: base, epoch: epoch) }
            return LearningRateSchedule.cosine(maximumEpochs: maximumEpochs, minimum: minimum).learningRate(base: base, epoch: epoch - warmupEpochs)
        }
    }
}
