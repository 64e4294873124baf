/// Test-set results: mean loss, accuracy and the confusion matrix (rows: true class, columns: predicted).
public struct Evaluation {
    public let loss: Double
    public let correct: Int
    public let total: Int
    public let confusion: [[Int]]
    /// The first images scored wrong, in the data's order (as many as `evaluate`'s `mistakeLimit`).
    public let mistakes: [ScoredMistake]

    package init(loss: Double, correct: Int, total: Int, confusion: [[Int]], mistakes: [ScoredMistake] = []) {
        (self.loss, self.correct, self.total, self.confusion, self.mistakes) = (loss, correct, total, confusion, mistakes)
    }

    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
    public var perClassAccuracy: [Double] {
        confusion.enumerated().map { index, row in
            let count = row.reduce(0, +)
            return count > 0 ? Double(row[index]) / Double(count) : 0
        }
    }
}

/// An image an evaluation scored wrong: its position in the evaluated data and the network's output row for it
/// (log-probabilities under test-time augmentation).
public struct ScoredMistake: Equatable {
    public let position: Int
    public let trueClass: Int
    public let predictedClass: Int
    public let outputs: [Float]
}

extension Network {
    /// Test-set loss, accuracy and confusion matrix with inference plans (batchnorm's running statistics,
    /// no dropout); no optimizer needed.
    /// With `split`, each batch runs through it (split across the cores: `CoreParallel`); with `testTimeAugmentation`,
    /// each image is scored by the mean over its views. The first `mistakeLimit` images scored wrong come with it,
    /// so that a report needs no second pass.
    public func evaluate(data: BatchSource, loss: Loss, split: BatchRunner? = nil,
                         testTimeAugmentation: TestTimeAugmentation? = nil, mistakeLimit: Int = 0) throws -> Evaluation {
        let classes = outputShape.elementCount
        data.start(epoch: 0)
        var lossSum = 0.0
        var (correct, total) = (0, 0)
        var confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        var mistakes: [ScoredMistake] = []
        while let batch = data.nextBatch() {
            guard batch.count > 0 else { continue }  // a worker's empty share of a small last batch
            func score(_ share: Range<Int>, _ output: UnsafeBufferPointer<Float>, _ loss: Loss) throws {
                let labels = Array(batch.labels[share])
                let result = try labels.withUnsafeBufferPointer { try loss.evaluate(output: output, labels: $0, classes: classes, gradient: nil) }
                for sample in 0..<share.count {
                    let row = output[(sample * classes)..<((sample + 1) * classes)]
                    let predicted = (row.indices.max { row[$0] < row[$1] } ?? row.startIndex) - sample * classes
                    confusion[Int(labels[sample])][predicted] += 1
                    if predicted != Int(labels[sample]), mistakes.count < mistakeLimit {
                        mistakes.append(ScoredMistake(position: total + share.lowerBound + sample, trueClass: Int(labels[sample]),
                                                      predictedClass: predicted, outputs: Array(row)))
                    }
                }
                lossSum += result.loss * Double(share.count)
                correct += result.correct
            }
            if let testTimeAugmentation {
                let combined = try testTimeAugmentation.combinedOutputs(of: batch, network: self, loss: loss, split: split)
                try combined.outputs.withUnsafeBufferPointer { try score(0..<batch.count, $0, combined.loss) }
            } else {
                try infer(batch, split: split) { try score($0, $1, loss) }
            }
            total += batch.count
        }
        return Evaluation(loss: total > 0 ? lossSum / Double(total) : 0, correct: correct, total: total, confusion: confusion, mistakes: mistakes)
    }

    /// Inference of one batch, whole or split; `body` reads the outputs of each part of it, in order.
    public func infer(_ batch: LabeledBatch, split: BatchRunner?,
                      _ body: (_ share: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) throws -> Void) throws {
        if let split { return try split.infer(batch.images, count: batch.count, body) }
        try infer(batch.images, count: batch.count, body)
    }
}
