import Foundation

/// Test-time augmentation: each test image is scored by the mean of the softmax over several views of it,
/// the image itself and, as asked, its mirror image (`hflip`) and each of those shifted one pixel down-right
/// and one up-left (`translate`, zero fill), as airbench's TTA.
public struct TestTimeAugmentation: Sendable, Equatable {
    public enum View: String, CaseIterable, Sendable {
        case hflip, translate
    }

    public var views: [View]

    public init(views: [View]) { self.views = views }

    /// The image itself included.
    public var viewCount: Int { transforms.count }

    /// Row and column shifts and whether to mirror, for every view.
    var transforms: [(flip: Bool, shift: Int)] {
        let flips = views.contains(.hflip) ? [false, true] : [false]
        let shifts = views.contains(.translate) ? [0, 1, -1] : [0]
        return flips.flatMap { flip in shifts.map { (flip, $0) } }
    }

    /// The batch's outputs under the mean over its views, as a loss reads them: the log of the mean
    /// probability (scored with `nll`) for cross-entropy and nll, the mean output for mse.
    func combinedOutputs(of batch: LabeledBatch, network: Network, loss: Loss, split: BatchRunner?) throws -> (outputs: [Float], loss: Loss) {
        let dimensions = network.inputShape.dimensions
        guard dimensions.count == 3 else {
            throw ZooError("test-time augmentation flips and shifts images, but this model takes \(network.inputShape) features",
                           hint: "remove `tta` for a model without image input")
        }
        let (channels, height, width) = (dimensions[0], dimensions[1], dimensions[2])
        let classes = network.outputShape.elementCount
        var mean = [Float](repeating: 0, count: batch.count * classes)
        var view = [Float](repeating: 0, count: batch.images.count)
        let transforms = transforms
        for (flip, shift) in transforms {
            // output(y, x) = input(y - shift, x' - shift), x' mirrored when flipping; zero outside.
            for plane in 0..<(batch.count * channels) {
                for row in 0..<height {
                    for column in 0..<width {
                        let (sourceRow, shifted) = (row - shift, column - shift)
                        let sourceColumn = flip ? width - 1 - shifted : shifted
                        let inside = (0..<height).contains(sourceRow) && (0..<width).contains(sourceColumn)
                        view[(plane * height + row) * width + column] = inside ? batch.images[(plane * height + sourceRow) * width + sourceColumn] : 0
                    }
                }
            }
            try network.infer(LabeledBatch(count: batch.count, images: view, labels: batch.labels), split: split) { share, output in
                for sample in 0..<share.count {
                    let row = output[(sample * classes)..<((sample + 1) * classes)]
                    let probabilities = loss == .mse ? row.map { Double($0) } : Self.probabilities(row, logarithms: loss == .nll)
                    for (index, probability) in probabilities.enumerated() {
                        mean[(share.lowerBound + sample) * classes + index] += Float(probability / Double(transforms.count))
                    }
                }
            }
        }
        return loss == .mse ? (mean, .mse) : (mean.map { log(max($0, .leastNormalMagnitude)) }, .nll)
    }

    /// Softmax of logits, or exp of log-probabilities.
    private static func probabilities(_ row: Slice<UnsafeBufferPointer<Float>>, logarithms: Bool) -> [Double] {
        guard !logarithms else { return row.map { exp(Double($0)) } }
        let largest = Double(row.max() ?? 0)
        let exponentials = row.map { exp(Double($0) - largest) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { $0 / sum }
    }
}
