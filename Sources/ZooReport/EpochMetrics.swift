import Foundation

/// One row of a run's metrics.csv.
public struct EpochMetrics: Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    /// Nil for an epoch that was not evaluated (`evaluate_every`).
    public var testLoss: Double?
    public var testAccuracy: Double?
    public var seconds: Double
    public var imagesPerSecond: Double
    /// With `validation_split`: the held-out images' figures.
    public var validationLoss: Double?
    public var validationAccuracy: Double?
    /// With `ema`: the moving average's figures on the test set and the validation split.
    public var averagedTestLoss: Double?
    public var averagedTestAccuracy: Double?
    public var averagedValidationLoss: Double?
    public var averagedValidationAccuracy: Double?

    public init(epoch: Int, learningRate: Double, trainLoss: Double, trainAccuracy: Double, testLoss: Double?, testAccuracy: Double?,
                seconds: Double, imagesPerSecond: Double) {
        (self.epoch, self.learningRate, self.trainLoss, self.trainAccuracy) = (epoch, learningRate, trainLoss, trainAccuracy)
        (self.testLoss, self.testAccuracy, self.seconds, self.imagesPerSecond) = (testLoss, testAccuracy, seconds, imagesPerSecond)
    }

    /// The columns a row may leave empty (all of these on an epoch that was not evaluated) or a file may not have
    /// (validation and moving average), and where each goes.
    static let optionalColumns: [(name: String, field: WritableKeyPath<EpochMetrics, Double?> & Sendable)] = [
        ("test_loss", \.testLoss), ("test_accuracy", \.testAccuracy), ("val_loss", \.validationLoss), ("val_accuracy", \.validationAccuracy),
        ("ema_test_loss", \.averagedTestLoss), ("ema_test_accuracy", \.averagedTestAccuracy), ("ema_val_loss", \.averagedValidationLoss),
        ("ema_val_accuracy", \.averagedValidationAccuracy),
    ]

    /// The rows of a metrics.csv written by `zoo train`, columns found by their header names.
    public static func parse(csv: String) -> [EpochMetrics] {
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        let columns = ["epoch", "lr", "train_loss", "train_accuracy", "seconds", "images_per_sec"]
        let indices = columns.compactMap { header.firstIndex(of: $0) }
        guard indices.count == columns.count, header.contains("test_accuracy") else { return [] }
        let optional = optionalColumns.compactMap { column in header.firstIndex(of: column.name).map { ($0, column.field) } }
        return lines.dropFirst().compactMap { row in
            let values = indices.map { $0 < row.count ? Double(row[$0]) : nil }
            guard values.allSatisfy({ $0 != nil }) else { return nil }
            let number = values.map { $0 ?? 0 }
            var metrics = EpochMetrics(epoch: Int(number[0]), learningRate: number[1], trainLoss: number[2], trainAccuracy: number[3],
                                       testLoss: nil, testAccuracy: nil, seconds: number[4], imagesPerSecond: number[5])
            for (index, field) in optional where index < row.count { metrics[keyPath: field] = Double(row[index]) }
            return metrics
        }
    }
}

extension Array where Element == EpochMetrics {
    /// The last row with the test set's figures (`evaluate_every` leaves some without).
    public var lastEvaluated: EpochMetrics? { last { $0.testAccuracy != nil } }
}

/// A logged training step: the running loss and accuracy of its epoch so far, and the learning rate.
public struct StepMetrics: Equatable, Sendable {
    /// Epochs done, fractional: step 50 of 100 in the second epoch is 1.5.
    public var position: Double
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double

    public init(position: Double, learningRate: Double, trainLoss: Double, trainAccuracy: Double) {
        (self.position, self.learningRate, self.trainLoss, self.trainAccuracy) = (position, learningRate, trainLoss, trainAccuracy)
    }

    static let header = "epoch,lr,train_loss,train_accuracy"

    /// A run folder's steps.csv.
    public static func csv(_ steps: [StepMetrics]) -> String {
        ([header] + steps.map { "\($0.position),\($0.learningRate),\($0.trainLoss),\($0.trainAccuracy)" }).joined(separator: "\n") + "\n"
    }

    public static func parse(csv: String) -> [StepMetrics] {
        let lines = csv.split(separator: "\n")
        guard lines.first.map(String.init) == header else { return [] }
        return lines.dropFirst().compactMap { line in
            let values = line.split(separator: ",").compactMap { Double($0) }
            guard values.count == 4 else { return nil }
            return StepMetrics(position: values[0], learningRate: values[1], trainLoss: values[2], trainAccuracy: values[3])
        }
    }
}
