import ZooCore

/// One epoch's evaluations: the test set and, with `validation_split`, the held-out images; each for the trained
/// weights and, with `ema`, for the moving average.
package struct EpochEvaluations {
    package let test: Evaluation
    package let validation: Evaluation?
    package let averagedTest: Evaluation?
    package let averagedValidation: Evaluation?

    /// The watched metric for the trained weights, or for the average (nil without one).
    package func score(_ metric: EpochMonitor.Metric, averaged: Bool) -> Double? {
        let (test, validation) = averaged ? (averagedTest, averagedValidation) : (self.test, self.validation)
        switch metric {
        case .testAccuracy: return test?.accuracy
        case .valAccuracy: return validation?.accuracy
        case .valLoss: return validation?.loss
        }
    }

    /// The average is what a checkpoint holds when it scores strictly better on the watched metric.
    package func averageScoresBetter(on metric: EpochMonitor.Metric) -> Bool {
        guard let averaged = score(metric, averaged: true), let trained = score(metric, averaged: false) else { return false }
        return metric.prefers(averaged, over: trained)
    }

    /// metrics.csv's columns after `test_accuracy` for a run with a validation split and/or a moving average;
    /// `weights` says which weights the epoch's checkpoint holds.
    package static func columns(validation: Bool, movingAverage: Bool) -> [String] {
        (validation ? ["val_loss", "val_accuracy"] : [])
            + (movingAverage ? ["ema_test_loss", "ema_test_accuracy"] + (validation ? ["ema_val_loss", "ema_val_accuracy"] : []) + ["weights"] : [])
    }

    /// This epoch's values of `columns`.
    package func values(savesAverage: Bool) -> [String] {
        let evaluations = [validation, averagedTest, averagedValidation].compactMap { $0 }
        return evaluations.flatMap { [String($0.loss), String($0.accuracy)] } + (averagedTest == nil ? [] : [savesAverage ? "ema" : "trained"])
    }

    /// TensorBoard's tags for each evaluation: `test/`, `val/`, `ema_test/`, `ema_val/`.
    package var tagged: [(prefix: String, evaluation: Evaluation)] {
        [("test", test), ("val", validation), ("ema_test", averagedTest), ("ema_val", averagedValidation)].compactMap { prefix, evaluation in
            evaluation.map { (prefix, $0) }
        }
    }
}
