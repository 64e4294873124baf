public struct EpochResult {
    public let loss: Double
    public let accuracy: Double
    public let images: Int
    public let seconds: Double
    /// True when `shouldStop` ended the epoch early (Ctrl-C).
    public let interrupted: Bool

    package init(loss: Double, accuracy: Double, images: Int, seconds: Double, interrupted: Bool) {
        (self.loss, self.accuracy, self.images, self.seconds, self.interrupted) = (loss, accuracy, images, seconds, interrupted)
    }

    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
}
