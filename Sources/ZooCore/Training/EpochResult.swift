public struct EpochResult {
    public let loss: Double
    public let accuracy: Double
    public let images: Int
    public let seconds: Double
    /// True when `shouldStop` ended the epoch early (Ctrl-C).
    public let interrupted: Bool

    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
}
