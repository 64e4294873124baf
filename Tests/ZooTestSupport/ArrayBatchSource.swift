import ZooFoundation

/// In-memory batches in a fixed order per epoch (rotated by the epoch, so epochs differ).
public final class ArrayBatchSource: BatchSource {
    public let images: [Float]
    public let labels: [Int32]
    public let imageSize: Int
    public let batchSize: Int
    private var position = 0
    private var epoch = 0

    public init(images: [Float], labels: [Int32], imageSize: Int, batchSize: Int) {
        self.images = images
        self.labels = labels
        self.imageSize = imageSize
        self.batchSize = batchSize
    }

    public var batchesPerEpoch: Int { (labels.count + batchSize - 1) / batchSize }
    public func start(epoch: Int) { self.epoch = epoch; position = 0 }

    public func nextBatch() -> LabeledBatch? {
        guard position < labels.count else { return nil }
        let count = min(batchSize, labels.count - position)
        let order = (position..<(position + count)).map { ($0 + epoch * 7) % labels.count }
        let batchImages = order.flatMap { images[($0 * imageSize)..<(($0 + 1) * imageSize)] }
        let batchLabels = order.map { labels[$0] }
        position += count
        return LabeledBatch(count: count, images: batchImages, labels: batchLabels)
    }

    /// Points in 4-D whose class is the sign pattern of two coordinates: learnable, not trivially.
    public static func quadrants(count: Int, seed: UInt64, batchSize: Int) -> ArrayBatchSource {
        var random = SeededRandom(seed: seed)
        var images: [Float] = []
        var labels: [Int32] = []
        for _ in 0..<count {
            let point = random.uniform(1, count: 4)
            images += point
            labels.append(Int32((point[0] > 0 ? 1 : 0) + (point[1] > 0 ? 2 : 0)))
        }
        return ArrayBatchSource(images: images, labels: labels, imageSize: 4, batchSize: batchSize)
    }
}
