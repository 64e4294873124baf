import Foundation

/// A batch of images (NCHW floats) and labels, valid until the source's next call.
public struct LabeledBatch {
    public let count: Int
    public let images: UnsafeBufferPointer<Float>
    public let labels: UnsafeBufferPointer<Int32>
    /// The whole batch's size when this is one worker's share of it (data-parallel training), else `count`.
    public let globalCount: Int

    public init(count: Int, images: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, globalCount: Int? = nil) {
        self.count = count
        self.images = images
        self.labels = labels
        self.globalCount = globalCount ?? count
    }
}

/// Where the trainer gets its batches: the data loader, or a test's in-memory arrays.
public protocol BatchSource: AnyObject {
    var batchesPerEpoch: Int { get }
    func start(epoch: Int)
    func nextBatch() -> LabeledBatch?
}

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

public struct EpochResult {
    public let loss: Double
    public let accuracy: Double
    public let images: Int
    public let seconds: Double
    /// True when `shouldStop` ended the epoch early (Ctrl-C).
    public let interrupted: Bool

    public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
}

/// Test-set results: mean loss, accuracy and the confusion matrix (rows: true class, columns: predicted).
public struct Evaluation {
    public let loss: Double
    public let correct: Int
    public let total: Int
    public let confusion: [[Int]]

    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
    public var perClassAccuracy: [Double] {
        confusion.enumerated().map { index, row in
            let count = row.reduce(0, +)
            return count > 0 ? Double(row[index]) / Double(count) : 0
        }
    }
}

/// Runs training epochs and evaluations of one network with one optimizer and loss.
public final class Trainer {
    public let network: Network
    public let optimizer: Optimizer
    public let loss: Loss
    /// Checked after every step; Ctrl-C sets it so the current step finishes and a checkpoint can be written.
    public var shouldStop: () -> Bool = { false }
    /// Set when this process is one worker of several: batches are its shares, gradients and figures are summed.
    public var dataParallel: DataParallel?

    public init(network: Network, optimizer: Optimizer, loss: Loss) {
        self.network = network
        self.optimizer = optimizer
        self.loss = loss
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
            if batch.count == 0, let dataParallel {
                try dataParallel.backwardWithoutImages()
                try optimizer.step()
                step += 1
                continue
            }
            let plan = try network.plan(batchSize: batch.count, training: true)
            try plan.load(batch)
            try plan.forward()
            let result = try plan.withOutput { output in
                try plan.withOutputGradient { gradient in
                    try loss.evaluate(output: output, labels: batch.labels, classes: classes, gradient: gradient)
                }
            }
            guard result.loss.isFinite else {
                throw ZooError("training diverged: the loss became \(result.loss) at epoch \(epoch + 1), step \(step + 1); the weights before this step are kept",
                               hint: "lower the learning rate (it is \(optimizer.learningRate)), or check the inputs are normalised")
            }
            if let dataParallel { try dataParallel.backward(plan, globalCount: batch.globalCount) } else { try plan.backward() }
            try optimizer.step()
            if let name = network.firstNonFiniteParameter() {
                throw ZooError("training diverged: parameter `\(name)` holds NaN or infinity after the update at epoch \(epoch + 1), step \(step + 1)",
                               hint: "lower the learning rate (it is \(optimizer.learningRate)), or check the inputs are normalised")
            }
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
        return try dataParallel?.combined(result) ?? result
    }

    /// With data parallelism, each worker evaluates its share of every batch with worker 0's batch-norm statistics.
    public func evaluate(data: BatchSource) throws -> Evaluation {
        guard let dataParallel else { return try network.evaluate(data: data, loss: loss) }
        try dataParallel.broadcastParameters()
        return try dataParallel.combined(try network.evaluate(data: data, loss: loss))
    }
}

extension Network {
    /// Test-set loss, accuracy and confusion matrix with inference plans (batchnorm's running statistics,
    /// no dropout); no optimizer needed.
    public func evaluate(data: BatchSource, loss: Loss) throws -> Evaluation {
        let classes = outputShape.elementCount
        data.start(epoch: 0)
        var lossSum = 0.0
        var (correct, total) = (0, 0)
        var confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        while let batch = data.nextBatch() {
            guard batch.count > 0 else { continue }  // a worker's empty share of a small last batch
            let plan = try plan(batchSize: batch.count, training: false)
            try plan.load(batch)
            try plan.forward()
            let result = try plan.withOutput { output in
                let result = try loss.evaluate(output: output, labels: batch.labels, classes: classes, gradient: nil)
                for sample in 0..<batch.count {
                    let row = output[(sample * classes)..<((sample + 1) * classes)]
                    let predicted = (row.indices.max { row[$0] < row[$1] } ?? row.startIndex) - sample * classes
                    confusion[Int(batch.labels[sample])][predicted] += 1
                }
                return result
            }
            lossSum += result.loss * Double(batch.count)
            correct += result.correct
            total += batch.count
        }
        return Evaluation(loss: total > 0 ? lossSum / Double(total) : 0, correct: correct, total: total, confusion: confusion)
    }
}

extension Plan {
    /// Copies a batch's images into the plan's input.
    func load(_ batch: LabeledBatch) throws {
        try withInput { input in
            guard batch.images.count == input.count, let source = batch.images.baseAddress, let destination = input.baseAddress else {
                throw ZooError("a batch of \(batch.images.count) values does not fit the network input (\(input.count) values for \(batchSize) images)",
                               hint: "the dataset's image shape must match the one the model was built for")
            }
            destination.update(from: source, count: input.count)
        }
    }
}
