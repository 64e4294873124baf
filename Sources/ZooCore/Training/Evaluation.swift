/// Test-set results: mean loss, accuracy and the confusion matrix (rows: true class, columns: predicted).
public struct Evaluation {
    public let loss: Double
    public let correct: Int
    public let total: Int
    public let confusion: [[Int]]

    package init(loss: Double, correct: Int, total: Int, confusion: [[Int]]) {
        (self.loss, self.correct, self.total, self.confusion) = (loss, correct, total, confusion)
    }

    public var accuracy: Double { total > 0 ? Double(correct) / Double(total) : 0 }
    public var perClassAccuracy: [Double] {
        confusion.enumerated().map { index, row in
            let count = row.reduce(0, +)
            return count > 0 ? Double(row[index]) / Double(count) : 0
        }
    }
}

extension Network {
    /// Test-set loss, accuracy and confusion matrix with inference plans (batchnorm's running statistics,
    /// no dropout); no optimizer needed.
    /// With `split`, each batch runs through it (split across the cores: `CoreParallel`); with `testTimeAugmentation`,
    /// each image is scored by the mean over its views.
    public func evaluate(data: BatchSource, loss: Loss, split: BatchRunner? = nil,
                         testTimeAugmentation: TestTimeAugmentation? = nil) throws -> Evaluation {
        let classes = outputShape.elementCount
        data.start(epoch: 0)
        var lossSum = 0.0
        var (correct, total) = (0, 0)
        var confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        while let batch = data.nextBatch() {
            guard batch.count > 0 else { continue }  // a worker's empty share of a small last batch
            func score(_ share: Range<Int>, _ output: UnsafeBufferPointer<Float>, _ loss: Loss) throws {
                let labels = Array(batch.labels[share])
                let result = try labels.withUnsafeBufferPointer { try loss.evaluate(output: output, labels: $0, classes: classes, gradient: nil) }
                for sample in 0..<share.count {
                    let row = output[(sample * classes)..<((sample + 1) * classes)]
                    let predicted = (row.indices.max { row[$0] < row[$1] } ?? row.startIndex) - sample * classes
                    confusion[Int(labels[sample])][predicted] += 1
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
        return Evaluation(loss: total > 0 ? lossSum / Double(total) : 0, correct: correct, total: total, confusion: confusion)
    }

    /// Inference of one batch, whole or split; `body` reads the outputs of each part of it, in order.
    public func infer(_ batch: LabeledBatch, split: BatchRunner?,
                      _ body: (_ share: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) throws -> Void) throws {
        if let split { return try split.infer(batch.images, count: batch.count, body) }
        try infer(batch.images, count: batch.count, body)
    }
}
