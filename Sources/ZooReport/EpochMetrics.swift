import Foundation

/// One row of a run's metrics.csv.
public struct EpochMetrics: Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Double
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testLoss: Double
    public var testAccuracy: Double
    public var seconds: Double
    public var imagesPerSecond: Double

    public init(epoch: Int, learningRate: Double, trainLoss: Double, trainAccuracy: Double, testLoss: Double, testAccuracy: Double,
                seconds: Double, imagesPerSecond: Double) {
        (self.epoch, self.learningRate, self.trainLoss, self.trainAccuracy) = (epoch, learningRate, trainLoss, trainAccuracy)
        (self.testLoss, self.testAccuracy, self.seconds, self.imagesPerSecond) = (testLoss, testAccuracy, seconds, imagesPerSecond)
    }

    /// The rows of a metrics.csv written by `zoo train`, columns found by their header names.
    public static func parse(csv: String) -> [EpochMetrics] {
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        let columns = ["epoch", "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds", "images_per_sec"]
        let indices = columns.compactMap { header.firstIndex(of: $0) }
        guard indices.count == columns.count else { return [] }
        return lines.dropFirst().compactMap { row in
            let values = indices.map { $0 < row.count ? Double(row[$0]) : nil }
            guard values.allSatisfy({ $0 != nil }) else { return nil }
            let number = values.map { $0 ?? 0 }
            return EpochMetrics(epoch: Int(number[0]), learningRate: number[1], trainLoss: number[2], trainAccuracy: number[3],
                                testLoss: number[4], testAccuracy: number[5], seconds: number[6], imagesPerSecond: number[7])
        }
    }
}
