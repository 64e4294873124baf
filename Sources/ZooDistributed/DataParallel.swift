import CDNNL
import Dispatch
import ZooCore

/// Data-parallel training of one network by a group of workers, each on its share of every batch.
/// Each worker's loss gradient (a mean over its share) is scaled by share / global batch, so the sum over
/// workers is the gradient of the mean over the global batch: the same model as one process, up to float
/// summation order. Optimizer state stays identical on every worker because the summed gradients are.
/// Batch norm uses each worker's own batch statistics (as DDP without SyncBatchNorm); its running
/// statistics are worker 0's, copied to everyone before evaluation (as DDP's `broadcast_buffers`).
public final class DataParallel: BatchRunner {
    public let group: DataParallelGroup
    public let network: Network
    private let buckets: GradientBuckets

    /// Fixes the parameters' layouts alike on every worker (a training plan for the largest share),
    /// refuses workers whose layouts differ, and copies worker 0's parameters to everyone. A bucket holds
    /// gradients up to `bucketBytes` (one larger parameter gets a bucket of its own).
    public init(group: DataParallelGroup, network: Network, batchSize: Int,
                bucketBytes: Int = GradientBuckets.defaultCapacityBytes) throws {
        self.group = group
        self.network = network
        _ = try network.plan(batchSize: max(group.share.largestShare(ofBatch: batchSize), 1), training: true)
        var layouts = Fingerprint()
        for parameter in network.trainableParameters {
            layouts.add(parameter.name)
            layouts.add(parameter.value.descriptor.layoutFingerprint())
        }
        try group.requireAgreement(on: layouts.value, about: "the memory layouts oneDNN chose for the parameters",
                                   hint: "the machines differ in CPU features; set ONEDNN_MAX_CPU_ISA (e.g. AVX2) to the same value on every rank")
        buckets = try GradientBuckets(parameters: network.trainableParameters, group: group, capacityBytes: bucketBytes)
        try broadcastParameters()
    }

    public var isLeader: Bool { group.worker == 0 }

    public var share: BatchShare { group.share }

    /// Buckets the gradients are summed in (for tests and `zoo bench`).
    public var bucketCount: Int { buckets.count }
    /// Time spent after backward waiting for the sums: the communication backward did not hide.
    public private(set) var secondsWaitingForSums = 0.0
    public var communicationSeconds: Double? { secondsWaitingForSums }

    /// Worker 0's parameters and buffers, copied to every worker (at start, after a resume, before evaluation).
    public func broadcastParameters() throws {
        for (_, parameter) in network.namedParameters {
            var values = try parameter.read()
            try values.withUnsafeMutableBufferPointer { try group.broadcast($0) }
            try parameter.write(values)
        }
    }

    /// Forward and loss of this worker's share of `batch`, then `backward(_:globalCount:)`.
    public func forwardLossBackward(_ batch: LabeledBatch, loss: Loss, classes: Int, labelSmoothing: Double) throws -> Loss.Result {
        try network.forwardLossBackward(batch, loss: loss, classes: classes, labelSmoothing: labelSmoothing) { plan in
            try self.backward(plan, globalCount: batch.globalCount)
        }
    }

    /// Inference needs no other worker: this worker's images on its own network.
    public func infer(_ images: [Float], count: Int,
                      _ body: (_ share: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) throws -> Void) throws {
        try network.infer(images, count: count, body)
    }

    /// Each worker evaluates its share of every batch with worker 0's batch-norm statistics; no worker sees
    /// every image, so there are no mistakes (`mistakeLimit` is not used).
    public func evaluate(data: BatchSource, loss: Loss, testTimeAugmentation: TestTimeAugmentation?, mistakeLimit: Int) throws -> Evaluation {
        try broadcastParameters()
        return try combined(try network.evaluate(data: data, loss: loss, testTimeAugmentation: testTimeAugmentation))
    }

    /// Backward over this worker's share of a batch of `globalCount` images, with the gradients summed over
    /// all workers: buckets start while backward still runs, and all are finished when this returns.
    public func backward(_ plan: Plan, globalCount: Int) throws {
        try plan.scaleOutputGradient(by: Float(plan.batchSize) / Float(globalCount))
        buckets.begin()
        try plan.backward { try self.buckets.ready($0) }
        let waitStart = DispatchTime.now().uptimeNanoseconds
        try buckets.finish()
        secondsWaitingForSums += Double(DispatchTime.now().uptimeNanoseconds - waitStart) / 1e9
    }

    /// This worker's share of a batch is empty (a last batch smaller than the group): it adds zero gradients.
    public func backwardWithoutImages() throws {
        buckets.begin()
        for parameter in network.trainableParameters { parameter.gradient?.withFloats { $0.update(repeating: 0) } }
        try buckets.ready(network.trainableParameters)
        try buckets.finish()
        network.trainingStep += 1
    }

    /// An epoch's figures over all workers: images and the loss and accuracy sums behind the means.
    public func combined(_ result: EpochResult) throws -> EpochResult {
        let images = Double(result.images)
        let sums = try group.sum([result.loss * images, result.accuracy * images, images])
        return EpochResult(loss: sums[2] > 0 ? sums[0] / sums[2] : 0, accuracy: sums[2] > 0 ? sums[1] / sums[2] : 0,
                           images: Int(sums[2]), seconds: result.seconds, interrupted: result.interrupted)
    }

    /// Each worker evaluated its share of the test set: the totals, counts and confusion matrix summed.
    public func combined(_ evaluation: Evaluation) throws -> Evaluation {
        let classes = evaluation.confusion.count
        let sums = try group.sum([evaluation.loss * Double(evaluation.total), Double(evaluation.correct), Double(evaluation.total)]
                                 + evaluation.confusion.joined().map(Double.init))
        let total = Int(sums[2])
        let confusion = (0..<classes).map { row in (0..<classes).map { Int(sums[3 + row * classes + $0]) } }
        return Evaluation(loss: total > 0 ? sums[0] / Double(total) : 0, correct: Int(sums[1]), total: total, confusion: confusion)
    }
}

extension MemoryDescriptor {
    /// Dimensions, padding and blocking: equal fingerprints mean the same bytes hold the same elements.
    func layoutFingerprint() -> UInt64 {
        var fingerprint = Fingerprint()
        var raw = self.raw
        fingerprint.add(UInt64(byteCount))
        fingerprint.add(UInt64(raw.ndims))
        fingerprint.add(UInt64(raw.format_kind.rawValue))
        withUnsafeBytes(of: &raw.dims) { fingerprint.add($0) }
        withUnsafeBytes(of: &raw.padded_dims) { fingerprint.add($0) }
        let blocking = raw.format_desc.blocking
        fingerprint.add(UInt64(bitPattern: Int64(blocking.inner_nblks)))
        withUnsafeBytes(of: blocking.strides) { fingerprint.add($0) }
        withUnsafeBytes(of: blocking.inner_blks) { fingerprint.add($0) }
        withUnsafeBytes(of: blocking.inner_idxs) { fingerprint.add($0) }
        return fingerprint.value
    }
}
