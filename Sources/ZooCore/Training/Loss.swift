import Foundation

/// Classification losses with mean reduction, as `torch.nn.functional` computes them.
/// They work on the plan's plain `[batch, classes]` output and write the gradient for `backward()`.
public enum Loss: String, CaseIterable, Sendable, Codable {
    /// Softmax cross-entropy on logits (`F.cross_entropy`).
    case crossEntropy = "cross_entropy"
    /// Negative log-likelihood of log-probabilities (`F.nll_loss`, after `log_softmax`).
    case nll
    /// Mean squared error against one-hot targets (`F.mse_loss`).
    case mse

    public struct Result: Sendable {
        public var loss: Double
        /// Samples whose largest output is their label.
        public var correct: Int

        package init(loss: Double, correct: Int) {
            self.loss = loss
            self.correct = correct
        }
    }

    /// Loss and accuracy of a batch; with `gradient`, also d(loss)/d(output).
    /// `labelSmoothing` ε (cross-entropy only, as `nn.CrossEntropyLoss(label_smoothing=ε)`) scores each row
    /// against 1 - ε on its target plus ε spread evenly over all classes. `mixed` (MixUp, CutMix) makes the
    /// target λ on the label and 1 - λ on the mixed-in image's label, and `correct` counts the larger of the two.
    public func evaluate(output: UnsafeBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, classes: Int,
                         gradient: UnsafeMutableBufferPointer<Float>?, labelSmoothing: Double = 0, mixed: MixedLabels? = nil) throws -> Result {
        let batchSize = labels.count
        guard output.count >= batchSize * classes, batchSize > 0, mixed.map({ $0.partners.count == batchSize }) ?? true else {
            throw ZooError("the loss got \(output.count) outputs for \(batchSize) labels of \(classes) classes")
        }
        func checked(_ label: Int32, _ sample: Int) throws -> Int {
            guard (0..<classes).contains(Int(label)) else {
                throw ZooError("label \(label) of sample \(sample) is outside the network's \(classes) outputs",
                               hint: "the model's last layer must have as many outputs as the dataset has classes")
            }
            return Int(label)
        }
        var total = 0.0
        var correct = 0
        for sample in 0..<batchSize {
            let label = try checked(labels[sample], sample)
            let partner = try mixed.map { try checked($0.partners[sample], sample) } ?? label
            let weight = mixed?.weight ?? 1
            let row = UnsafeBufferPointer(rebasing: output[(sample * classes)..<((sample + 1) * classes)])
            var best = 0
            for index in 1..<classes where row[index] > row[best] { best = index }
            if best == (weight >= 0.5 ? label : partner) { correct += 1 }
            let rowGradient = gradient.map { UnsafeMutableBufferPointer(rebasing: $0[(sample * classes)..<((sample + 1) * classes)]) }
            let spread = labelSmoothing / Double(classes)
            // The target distribution; one-hot on the label without smoothing or mixing.
            let target = { (index: Int) -> Double in
                (1 - labelSmoothing) * ((index == label ? weight : 0) + (index == partner ? 1 - weight : 0)) + spread
            }
            total += lossOfRow(row, target: target, batchSize: batchSize, gradient: rowGradient)
        }
        let loss = self == .mse ? total / Double(batchSize * classes) : total / Double(batchSize)
        return Result(loss: loss, correct: correct)
    }

    /// The row's summed loss against `target` (mean taken by the caller) and its share of the mean's gradient.
    private func lossOfRow(_ row: UnsafeBufferPointer<Float>, target: (Int) -> Double, batchSize: Int,
                           gradient: UnsafeMutableBufferPointer<Float>?) -> Double {
        switch self {
        case .crossEntropy:
            let largest = row.max() ?? 0
            var sum = 0.0
            for value in row { sum += exp(Double(value - largest)) }
            let logSum = log(sum) + Double(largest)
            // -sum(target * log p) with the target summing to 1 is logSum - sum(target * row).
            var loss = logSum
            for index in row.indices {
                loss -= target(index) * Double(row[index])
                gradient?[index] = Float((exp(Double(row[index]) - logSum) - target(index)) / Double(batchSize))
            }
            return loss
        case .nll:
            var loss = 0.0
            for index in row.indices {
                loss -= target(index) * Double(row[index])
                gradient?[index] = Float(-target(index) / Double(batchSize))
            }
            return loss
        case .mse:
            var sum = 0.0
            let scale = 2 / Float(batchSize * row.count)
            for index in row.indices {
                let difference = row[index] - Float(target(index))
                sum += Double(difference * difference)
                gradient?[index] = scale * difference
            }
            return sum
        }
    }
}

extension Plan {
    /// The loss of the current output against `labels`, writing its gradient for `backward()`.
    public func applyLoss(_ loss: Loss, labels: UnsafeBufferPointer<Int32>, classes: Int, labelSmoothing: Double = 0,
                          mixed: MixedLabels? = nil) throws -> Loss.Result {
        try withOutput { output in
            try withOutputGradient { gradient in
                try loss.evaluate(output: output, labels: labels, classes: classes, gradient: gradient, labelSmoothing: labelSmoothing, mixed: mixed)
            }
        }
    }

    /// Scales the loss gradient: a share of a batch weighs share / batch in the batch's mean.
    public func scaleOutputGradient(by scale: Float) throws {
        try withOutputGradient { gradient in
            for index in gradient.indices { gradient[index] *= scale }
        }
    }

    /// One training pass before the update, as the trainer, the benchmark and the tests run it:
    /// forward, loss, backward (every parameter's gradient filled).
    /// `backward` replaces the plain backward pass (data-parallel training scales and sums gradients in it).
    public func forwardLossBackward(_ loss: Loss, labels: UnsafeBufferPointer<Int32>, classes: Int, labelSmoothing: Double = 0,
                                    mixed: MixedLabels? = nil, backward runBackward: ((Plan) throws -> Void)? = nil) throws -> Loss.Result {
        try forward()
        let result = try applyLoss(loss, labels: labels, classes: classes, labelSmoothing: labelSmoothing, mixed: mixed)
        if let runBackward { try runBackward(self) } else { try backward() }
        return result
    }
}
