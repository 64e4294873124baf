import Foundation
import ZooCore

/// Runs training epochs and evaluations of one network with one optimizer and loss.
public final class Trainer {
    public let network: Network
    public let optimizer: Optimizer
    public let loss: Loss
    /// PyTorch's `label_smoothing` for the training loss (cross-entropy); evaluation scores the plain labels.
    public var labelSmoothing = 0.0
    /// A schedule that steps every batch (onecycle, `per_step: true`) and the optimizer's configured rate:
    /// before each update the trainer sets the rate (and momentum) for the run's step count.
    public var batchSchedule: (schedule: LearningRateSchedule, baseRate: Double)?
    /// MixUp and CutMix of every training batch; accuracy then counts each image's dominant label.
    public var batchMixing: BatchMixing?
    private var mixedImages: [Float] = []
    private var mixedPartners: [Int32] = []
    /// Views whose mean scores each test image (`tta`).
    public var testTimeAugmentation: TestTimeAugmentation?
    /// Updated after every optimizer step (`ema`).
    public var movingAverage: ExponentialMovingAverage?
    /// Checked after every step; Ctrl-C sets it so the current step finishes and a checkpoint can be written.
    public var shouldStop: () -> Bool = { false }
    /// How each batch runs: whole on the network (the default), split across the cores of this process
    /// (`CoreParallel`), or as this process's share of the batches of several workers (`DataParallel`).
    public var runner: BatchRunner

    public init(network: Network, optimizer: Optimizer, loss: Loss) {
        self.network = network
        self.optimizer = optimizer
        self.loss = loss
        runner = WholeBatch(network: network)
    }

    private var classes: Int { network.outputShape.elementCount }

    public func trainEpoch(_ epoch: Int, data: BatchSource, report: (StepReport) -> Void = { _ in }) throws -> EpochResult {
        data.start(epoch: epoch)
        let started = Date()
        var (lossSum, correct, images, step) = (0.0, 0, 0, 0)
        var globalImages = 0
        var interrupted = false
        while let batch = data.nextBatch() {
            globalImages += batch.globalCount
            if let (schedule, baseRate) = batchSchedule {
                optimizer.follow(schedule, base: baseRate, step: epoch * data.batchesPerEpoch + step, stepsPerEpoch: data.batchesPerEpoch)
            }
            if batch.count == 0 {
                try runner.backwardWithoutImages()
                try optimizer.step()
                try movingAverage?.update()
                step += 1
                continue
            }
            let result = try forwardLossBackward(batch, epoch: epoch, step: step)
            // What is left of the step (the update, the checks) runs on one core: the loader takes the other.
            data.prepareNext()
            guard result.loss.isFinite else {
                throw ZooError("training diverged: the loss became \(result.loss) at epoch \(epoch + 1), step \(step + 1); the weights before this step are kept",
                               hint: "lower the learning rate (it is \(optimizer.learningRate)), or check the inputs are normalised")
            }
            try optimizer.step()
            if let name = network.firstNonFiniteParameter() {
                throw ZooError("training diverged: parameter `\(name)` holds NaN or infinity after the update at epoch \(epoch + 1), step \(step + 1)",
                               hint: "lower the learning rate (it is \(optimizer.learningRate)), or check the inputs are normalised")
            }
            try movingAverage?.update()
            lossSum += result.loss * Double(batch.count)
            correct += result.correct
            images += batch.count
            step += 1
            let elapsed = Date().timeIntervalSince(started)
            report(StepReport(epoch: epoch, step: step, stepsPerEpoch: data.batchesPerEpoch, loss: lossSum / Double(images),
                              accuracy: Double(correct) / Double(images), imagesPerSecond: Double(globalImages) / max(elapsed, 1e-9),
                              elapsedSeconds: elapsed))
            if shouldStop() {
                interrupted = true
                break
            }
        }
        let result = EpochResult(loss: images > 0 ? lossSum / Double(images) : 0, accuracy: images > 0 ? Double(correct) / Double(images) : 0,
                                 images: images, seconds: Date().timeIntervalSince(started), interrupted: interrupted)
        return try runner.combined(result)
    }

    /// With `batchMixing`, a copy of the batch mixed by a generator keyed by (seed, epoch, step).
    private func forwardLossBackward(_ batch: LabeledBatch, epoch: Int, step: Int) throws -> Loss.Result {
        guard let batchMixing else { return try forwardLossBackward(batch) }
        mixedImages.removeAll(keepingCapacity: true)
        mixedImages.append(contentsOf: batch.images)
        mixedPartners.removeAll(keepingCapacity: true)
        mixedPartners.append(contentsOf: repeatElement(0, count: batch.count))
        var random = SeededRandom(seed: network.seed, streams: 0x4D49_58, UInt64(epoch), UInt64(step))
        let weight = mixedImages.withUnsafeMutableBufferPointer { images in
            mixedPartners.withUnsafeMutableBufferPointer { partners in
                batch.labels.withUnsafeBufferPointer { labels in
                    batchMixing.mix(images, labels: labels, partners: partners, shape: network.inputShape, random: &random)
                }
            }
        }
        return try forwardLossBackward(LabeledBatch(count: batch.count, images: mixedImages, labels: batch.labels, globalCount: batch.globalCount,
                                                    mixed: MixedLabels(partners: mixedPartners, weight: weight)))
    }

    private func forwardLossBackward(_ batch: LabeledBatch) throws -> Loss.Result {
        try runner.forwardLossBackward(batch, loss: loss, classes: classes, labelSmoothing: labelSmoothing)
    }

    /// With data parallelism, each worker evaluates its share of every batch with worker 0's batch-norm statistics.
    public func evaluate(data: BatchSource, mistakeLimit: Int = 0) throws -> Evaluation {
        try runner.evaluate(data: data, loss: loss, testTimeAugmentation: testTimeAugmentation, mistakeLimit: mistakeLimit)
    }
}
