import Dispatch
import ZooFoundation

/// Memory for one batch, allocated once and reused for every batch whose arrays the caller no longer holds.
private final class BatchBuffer: @unchecked Sendable {
    // Sendable by hand: one thread at a time, as the loader waits on a fill's group before it reads or refills the buffer.
    var images: [Float]
    var labels: [Int32]
    var count = 0
    var globalCount = 0

    init(imageFloats: Int, batchSize: Int) {
        images = [Float](repeating: 0, count: imageFloats)
        labels = [Int32](repeating: 0, count: batchSize)
    }

    /// Shares the buffer's arrays when the batch is full; the next fill copies them only if the caller still holds them.
    var batch: LabeledBatch {
        guard count < labels.count else { return LabeledBatch(count: count, images: images, labels: labels, globalCount: globalCount) }
        return LabeledBatch(count: count, images: Array(images[0 ..< count * (images.count / labels.count)]),
                            labels: Array(labels[0 ..< count]), globalCount: globalCount)
    }
}

/// Everything needed to build any batch; immutable, so background fills need no locks.
private struct BatchRecipe: Sendable {
    let split: DatasetSplit
    let pipeline: ImagePipeline
    /// Float value of each byte value, per channel: normalisation as one table lookup.
    let lookup: [Float]
    let batchSize: Int
    let seed: UInt64
    let share: BatchShare

    /// Fills `buffer` with this worker's share of batch `index` of `epoch`. Randomness depends only on
    /// (seed, epoch, position), so an image is augmented alike whichever worker takes it.
    func fill(_ buffer: BatchBuffer, index: Int, epoch: Int, order: [Int32]) {
        let globalCount = min(batchSize, split.count - index * batchSize)
        let positions = share.range(inBatchOf: globalCount)
        let start = index * batchSize + positions.lowerBound
        let count = positions.count
        let imageBytes = pipeline.input.byteCount
        let outputShape = pipeline.output
        var first = [UInt8](repeating: 0, count: pipeline.scratchCount)
        var second = first
        buffer.images.withUnsafeMutableBufferPointer { images in
            buffer.labels.withUnsafeMutableBufferPointer { labels in
                split.images.withUnsafeBufferPointer { splitImages in
                    first.withUnsafeMutableBufferPointer { first in
                        second.withUnsafeMutableBufferPointer { second in
                            lookup.withUnsafeBufferPointer { lookup in
                                for slot in 0 ..< count {
                                    let position = start + slot
                                    let image = Int(order[position])
                                    labels[slot] = Int32(split.labels[image])
                                    var generator = SeededRandom(keys: seed, UInt64(epoch), UInt64(position))
                                    let source = UnsafeBufferPointer(rebasing: splitImages[image * imageBytes ..< (image + 1) * imageBytes])
                                    let pixels = pipeline.apply(source, scratch: (first, second), generator: &generator)
                                    let targetStart = slot * outputShape.byteCount
                                    for channel in 0 ..< outputShape.channels {
                                        let planeStart = channel * outputShape.pixelCount
                                        let table = channel * 256
                                        for pixel in planeStart ..< planeStart + outputShape.pixelCount {
                                            images[targetStart + pixel] = lookup[table + Int(pixels[pixel])]
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        buffer.count = count
        buffer.globalCount = globalCount
    }
}

/// Turns a split into float batches: seeded shuffling, augmentation and normalisation, with the next
/// batch prepared on a background queue while the caller trains on the current one.
public final class BatchLoader: BatchSource {
    public let batchSize: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    public let batchesPerEpoch: Int

    private let recipe: BatchRecipe
    private let shuffle: Bool
    private let prefetch: Bool
    /// When set, `nextBatch()` leaves the next batch's background fill to `prepareNext()` (or fills it itself if
    /// that was not called), so that the fill takes a core when the caller leaves one idle, not in the middle of a step.
    public var preparesWhenAsked = false
    private let buffers: [BatchBuffer]
    private let queue = DispatchQueue(label: "zoo.batch-loader")
    private var epoch = 0
    private var order: [Int32] = []
    private var nextIndex = 0
    private var pending: (index: Int, buffer: BatchBuffer, done: DispatchGroup)?
    /// The buffer behind the batch the caller holds; never written until `nextBatch()` is called again.
    private var handedOut: BatchBuffer?
    private var freeBuffer: BatchBuffer { handedOut === buffers[0] ? buffers[1] : buffers[0] }

    /// `normalization` nil gives raw pixels in [0, 1]. A normalisation with fewer entries than channels
    /// reuses its last entry. A batch size below 1 is taken as 1. With a `share` of several workers, each
    /// batch holds only this worker's part of the global batch of `batchSize` images. Image and batch sizes
    /// are checked before anything is allocated.
    public init(split: DatasetSplit, batchSize: Int, shuffle: Bool, seed: UInt64, transforms: [Transform],
                normalization: Normalization?, dropLast: Bool = false, prefetch: Bool = true, share: BatchShare = .everything) throws {
        let batchSize = max(batchSize, 1)
        let input = ImageShape(channels: split.channels, height: split.height, width: split.width)
        let imageBytes = try ImageShape.checkedByteCount(of: input, after: transforms)
        let batchBytes = saturatingProduct([imageBytes, MemoryLayout<Float>.size, batchSize])
        guard batchBytes <= MemoryBudget.limitBytes / 2 else {
            let output = input.after(transforms)
            throw ZooError("two batches of \(grouped(batchSize)) images of \(output.channels)x\(output.height)x\(output.width) would need "
                           + "\(byteSize(saturatingProduct([batchBytes, 2]))), "
                           + "more than the memory budget of \(byteSize(MemoryBudget.limitBytes))",
                           hint: "use a smaller batch size or image size, or raise the budget with --max-memory")
        }
        let pipeline = ImagePipeline(input: input, transforms: transforms)
        var lookup = [Float](repeating: 0, count: split.channels * 256)
        for channel in 0 ..< split.channels {
            let (mean, std) = normalization?.parameters(ofChannel: channel) ?? (0, 1)
            for value in 0 ..< 256 { lookup[channel * 256 + value] = (Float(value) / 255 - mean) / std }
        }
        recipe = BatchRecipe(split: split, pipeline: pipeline, lookup: lookup, batchSize: batchSize, seed: seed, share: share)
        self.batchSize = batchSize
        channels = pipeline.output.channels
        height = pipeline.output.height
        width = pipeline.output.width
        batchesPerEpoch = dropLast ? split.count / batchSize : (split.count + batchSize - 1) / batchSize
        self.shuffle = shuffle
        self.prefetch = prefetch
        buffers = (0 ..< 2).map { _ in BatchBuffer(imageFloats: batchSize * pipeline.output.byteCount, batchSize: batchSize) }
        start(epoch: 0)
    }

    deinit {
        pending?.done.wait()
    }

    /// The order images are visited in during `epoch`: a pure function of (seed, epoch).
    static func order(count: Int, shuffle: Bool, seed: UInt64, epoch: Int) -> [Int32] {
        guard shuffle else { return (0 ..< Int32(count)).map { $0 } }
        // The trailing key keeps the order stream apart from the per-position augmentation streams.
        var generator = SeededRandom(keys: seed, UInt64(epoch), UInt64.max)
        return generator.permutation(of: count)
    }

    /// Begins an epoch; any batch prepared for the previous one is dropped.
    public func start(epoch: Int) {
        pending?.done.wait()
        pending = nil
        self.epoch = epoch
        order = Self.order(count: recipe.split.count, shuffle: shuffle, seed: recipe.seed, epoch: epoch)
        nextIndex = 0
        if prefetch { prepare(0, in: freeBuffer) }
    }

    /// The next batch of the epoch, or nil when the epoch is over.
    public func nextBatch() -> LabeledBatch? {
        guard nextIndex < batchesPerEpoch else { return nil }
        let buffer: BatchBuffer
        if let pending {
            pending.done.wait()
            buffer = pending.buffer
            self.pending = nil
        } else {
            buffer = freeBuffer
            recipe.fill(buffer, index: nextIndex, epoch: epoch, order: order)
        }
        nextIndex += 1
        // The batch the caller had before this one is no longer valid, so its buffer is free.
        handedOut = buffer
        if !preparesWhenAsked { prepareNext() }
        return buffer.batch
    }

    public func prepareNext() {
        guard prefetch, pending == nil else { return }
        prepare(nextIndex, in: freeBuffer)
    }

    private func prepare(_ index: Int, in buffer: BatchBuffer) {
        guard index < batchesPerEpoch else { return }
        let done = DispatchGroup()
        let (recipe, epoch, order) = (recipe, epoch, order)
        queue.async(group: done) { recipe.fill(buffer, index: index, epoch: epoch, order: order) }
        pending = (index, buffer, done)
    }
}
