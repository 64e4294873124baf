/// `early_stopping: {metric: val_accuracy, patience: 3, min_delta: 0}`: Keras' `EarlyStopping(restore_best_weights=True)`.
public struct EarlyStopping: Equatable, Sendable {
    public var metric: EpochMonitor.Metric
    public var patience: Int
    public var minDelta: Double

    public init(metric: EpochMonitor.Metric, patience: Int, minDelta: Double) {
        (self.metric, self.patience, self.minDelta) = (metric, patience, minDelta)
    }
}

/// Watches one metric epoch by epoch: it picks best.safetensors and, with a patience, ends the run, by the rule
/// of Keras' `EarlyStopping` callback. An epoch improves when its value beats the best so far by more than
/// `minDelta` (higher accuracy, lower loss); `wait` counts epochs since the last improvement, and training
/// stops after an epoch that brings `wait` to `patience`. Codable, so a checkpoint carries it and a resume
/// continues the count.
public struct EpochMonitor: Codable, Equatable, Sendable {
    public enum Metric: String, CaseIterable, Codable, Sendable {
        case valAccuracy = "val_accuracy", valLoss = "val_loss", testAccuracy = "test_accuracy"

        public var higherIsBetter: Bool { self != .valLoss }

        /// Strictly better: higher accuracy, lower loss.
        public func prefers(_ value: Double, over reference: Double) -> Bool { higherIsBetter ? value > reference : value < reference }
    }

    public let metric: Metric
    public let minDelta: Double
    /// Nil: the run never stops early.
    public let patience: Int?
    /// The best value so far (nil before the first epoch, Keras' ±infinity) and the epoch (1-based) that gave it.
    public private(set) var best: Double?
    public private(set) var bestEpoch = 0
    public private(set) var wait = 0
    /// The epoch (1-based) after which training stopped.
    public private(set) var stoppedEpoch: Int?

    /// `best` continues a run whose checkpoint predates the monitor (its best test accuracy).
    public init(metric: Metric, minDelta: Double = 0, patience: Int? = nil, best: Double? = nil) {
        (self.metric, self.minDelta, self.patience, self.best) = (metric, minDelta, patience, best)
    }

    /// Keras' `_is_improvement`: `value - min_delta > reference` for accuracies, `value + min_delta < reference` for losses.
    public func improves(_ value: Double, on reference: Double?) -> Bool {
        guard let reference else { return !value.isNaN }
        return metric.prefers(metric.higherIsBetter ? value - minDelta : value + minDelta, over: reference)
    }

    /// Keras' `on_epoch_end` for the epoch that just finished (1-based); true when it is the new best.
    public mutating func record(_ value: Double, epoch: Int) -> Bool {
        wait += 1
        if improves(value, on: best) {
            (best, bestEpoch, wait) = (value, epoch, 0)
            return true
        }
        // Keras' `epoch > 0` (0-based): the first epoch never stops a run.
        if let patience, wait >= patience, epoch > 1 { stoppedEpoch = epoch }
        return false
    }
}
