// What data loaders hand to trainers: ZooData makes batches, ZooCore trains on them.

/// A batch of images (NCHW floats) and labels.
public struct LabeledBatch: Sendable {
    public let count: Int
    public let images: [Float]
    public let labels: [Int32]
    /// The whole batch's size when this is one worker's share of it (data-parallel training), else `count`.
    public let globalCount: Int
    /// Set when the images are mixed with others of the batch (MixUp, CutMix): their labels and the weight.
    public var mixed: MixedLabels?

    public init(count: Int, images: [Float], labels: [Int32], globalCount: Int? = nil,
                mixed: MixedLabels? = nil) {
        self.count = count
        self.images = images
        self.labels = labels
        self.globalCount = globalCount ?? count
        self.mixed = mixed
    }
}

/// Where the trainer gets its batches: the data loader, or a test's in-memory arrays.
public protocol BatchSource: AnyObject {
    var batchesPerEpoch: Int { get }
    func start(epoch: Int)
    func nextBatch() -> LabeledBatch?
    /// Starts preparing the batch after the one last handed out, for a source that prepares ahead and was told to
    /// wait for this call: a trainer calls it when its step no longer keeps every core busy.
    func prepareNext()
}

extension BatchSource {
    public func prepareNext() {}
}

/// The labels of the images mixed into a batch's (MixUp, CutMix), and the weight λ of each image's own label.
public struct MixedLabels: Sendable {
    public let partners: [Int32]
    public let weight: Double

    public init(partners: [Int32], weight: Double) {
        self.partners = partners
        self.weight = weight
    }
}
