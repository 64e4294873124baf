/// How a batch is run: the whole batch on one network (`WholeBatch`), split across the cores of this process
/// (`CoreParallel`), or shared by the workers of a group (`DataParallel`, MPI ranks). A `Trainer` holds one;
/// evaluation and `zoo bench` run through it too. Every runner leaves the network's gradients those of the
/// mean over the whole batch, so the optimizer step is the same whichever runs it.
public protocol BatchRunner: AnyObject {
    /// The network whose parameters the optimizer updates.
    var network: Network { get }
    /// This worker's share of every batch (everything unless the batch is shared by several workers).
    var share: BatchShare { get }
    /// Forward, loss and backward of `batch` (this worker's share of it); afterwards the network's gradients
    /// are those of the whole batch. The loss is the mean over `batch`, `correct` its count.
    func forwardLossBackward(_ batch: LabeledBatch, loss: Loss, classes: Int, labelSmoothing: Double) throws -> Loss.Result
    /// This worker's share of a batch is empty (a last batch smaller than the group): it adds zero gradients.
    func backwardWithoutImages() throws
    /// Inference of `count` images with batch norm's running statistics; `body` reads each part's outputs
    /// (`[share.count, classes]`), in order.
    func infer(_ images: [Float], count: Int,
               _ body: (_ share: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) throws -> Void) throws
    /// Test-set results of the network's weights, over every worker's share of the data; with the first
    /// `mistakeLimit` mistakes when one process sees every image (see `Network.evaluate`).
    func evaluate(data: BatchSource, loss: Loss, testTimeAugmentation: TestTimeAugmentation?, mistakeLimit: Int) throws -> Evaluation
    /// A training epoch's figures over every worker.
    func combined(_ result: EpochResult) throws -> EpochResult
    /// Seconds spent after backward waiting for other workers' gradients; nil when there are none.
    var communicationSeconds: Double? { get }
}

/// What a runner of one process does.
extension BatchRunner {
    public var share: BatchShare { .everything }

    public func backwardWithoutImages() throws {
        throw ZooError("a batch without images reached a runner of one process",
                       hint: "only a worker of several gets an empty share of a batch; check the batch source")
    }

    public func evaluate(data: BatchSource, loss: Loss, testTimeAugmentation: TestTimeAugmentation?, mistakeLimit: Int) throws -> Evaluation {
        try network.evaluate(data: data, loss: loss, split: self, testTimeAugmentation: testTimeAugmentation, mistakeLimit: mistakeLimit)
    }

    public func combined(_ result: EpochResult) throws -> EpochResult { result }

    public var communicationSeconds: Double? { nil }
}

/// The whole batch on the network, with all of oneDNN's threads: the runner a `Trainer` starts with.
public final class WholeBatch: BatchRunner {
    public let network: Network
    /// Splits inference when training keeps the whole batch (batch norm; see `CoreParallel.inferenceSplit`).
    public let inferenceSplit: BatchRunner?

    public init(network: Network, inferenceSplit: BatchRunner? = nil) {
        self.network = network
        self.inferenceSplit = inferenceSplit
    }

    public func forwardLossBackward(_ batch: LabeledBatch, loss: Loss, classes: Int, labelSmoothing: Double) throws -> Loss.Result {
        try network.forwardLossBackward(batch, loss: loss, classes: classes, labelSmoothing: labelSmoothing, backward: nil)
    }

    public func infer(_ images: [Float], count: Int,
                      _ body: (_ share: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) throws -> Void) throws {
        if let inferenceSplit { return try inferenceSplit.infer(images, count: count, body) }
        try network.infer(images, count: count, body)
    }
}

extension Network {
    /// Forward, loss and backward of the whole batch on this network's plan for it; `backward` replaces the
    /// plan's own backward (data parallelism sums the gradients as they are made).
    public func forwardLossBackward(_ batch: LabeledBatch, loss: Loss, classes: Int, labelSmoothing: Double,
                                    backward: ((Plan) throws -> Void)?) throws -> Loss.Result {
        let plan = try plan(batchSize: batch.count, training: true)
        try plan.load(batch)
        return try batch.labels.withUnsafeBufferPointer { labels in
            try plan.forwardLossBackward(loss, labels: labels, classes: classes, labelSmoothing: labelSmoothing, mixed: batch.mixed,
                                         backward: backward)
        }
    }

    /// Inference of `count` images on this network's plan for them.
    public func infer(_ images: [Float], count: Int,
                      _ body: (_ share: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) throws -> Void) throws {
        let plan = try plan(batchSize: count, training: false)
        try images.withUnsafeBufferPointer { try plan.load(images: $0) }
        try plan.forward()
        try plan.withOutput { try body(0..<count, $0) }
    }
}
