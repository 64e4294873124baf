import Foundation

/// Runs training epochs and evaluations of one network with one optimizer and loss.
public final class Trainer {
    public let network: Network
    public let optimizer: Optimizer
    public let loss: Loss
    /// Checked after every step; Ctrl-C sets it so the current step finishes and a checkpoint can be written.
    public var shouldStop: () -> Bool = { false }

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
        var interrupted = false
        while let batch = data.nextBatch() {
            let plan = try network.plan(batchSize: batch.count, training: true)
            try plan.load(batch)
            let result = try plan.forwardLossBackward(loss, labels: batch.labels, classes: classes)
            guard result.loss.isFinite else {
                throw ZooError("training diverged: the loss became \(result.loss) at epoch \(epoch + 1), step \(step + 1); the weights before this step are kept",
                               hint: "lower the learning rate (it is \(optimizer.learningRate)), or check the inputs are normalised")
            }
            try optimizer.step()
            lossSum += result.loss * Double(batch.count)
            correct += result.correct
            images += batch.count
            step += 1
            let elapsed = Date().timeIntervalSince(started)
            report(StepReport(epoch: epoch, step: step, stepsPerEpoch: data.batchesPerEpoch, loss: lossSum / Double(images),
                              accuracy: Double(correct) / Double(images), imagesPerSecond: Double(images) / max(elapsed, 1e-9),
                              elapsedSeconds: elapsed))
            if shouldStop() {
                interrupted = true
                break
            }
        }
        return EpochResult(loss: images > 0 ? lossSum / Double(images) : 0, accuracy: images > 0 ? Double(correct) / Double(images) : 0,
                           images: images, seconds: Date().timeIntervalSince(started), interrupted: interrupted)
    }

    public func evaluate(data: BatchSource) throws -> Evaluation { try network.evaluate(data: data, loss: loss) }
}
