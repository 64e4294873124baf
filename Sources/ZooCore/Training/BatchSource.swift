/// A batch of images (NCHW floats) and labels, valid until the source's next call.
public struct LabeledBatch {
    public let count: Int
    public let images: UnsafeBufferPointer<Float>
    public let labels: UnsafeBufferPointer<Int32>
    /// The whole batch's size when this is one worker's share of it (data-parallel training), else `count`.
    public let globalCount: Int
    /// Set when the images are mixed with others of the batch (MixUp, CutMix): their labels and the weight.
    public var mixed: MixedLabels?

    public init(count: Int, images: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, globalCount: Int? = nil,
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
}

extension Plan {
    /// Copies a batch's images into the plan's input.
    func load(_ batch: LabeledBatch) throws { try load(images: batch.images) }

    /// Copies `batchSize` images (NCHW floats) into the plan's input.
    func load(images: UnsafeBufferPointer<Float>) throws {
        try withInput { input in
            guard images.count == input.count, let source = images.baseAddress, let destination = input.baseAddress else {
                throw ZooError("a batch of \(images.count) values does not fit the network input (\(input.count) values for \(batchSize) images)",
                               hint: "the dataset's image shape must match the one the model was built for")
            }
            destination.update(from: source, count: input.count)
        }
    }
}
