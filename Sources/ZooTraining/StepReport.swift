import ZooCore

/// Progress after one training step, for the progress bar and log lines.
public struct StepReport {
    public let epoch: Int
    public let step: Int
    public let stepsPerEpoch: Int
    /// Means over the epoch so far.
    public let loss: Double
    public let accuracy: Double
    public let imagesPerSecond: Double
    public let elapsedSeconds: Double
}
