import ArgumentParser
import Foundation
import ZooConfig
import ZooCore
import ZooData

/// `zoo predict CHECKPOINT INPUT...`: each image preprocessed as the model's training images were (size, channels,
/// normalisation from the checkpoint), then its most likely classes.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Classify image files (PNG, JPEG) or folders of them with a checkpoint.",
        discussion: """
            Each image is resized to the model's input (area-averaging when shrinking, bilinear when growing) and converted \
            to its channels (colour to gray as PIL's convert("L")). A 1-channel model trained on light strokes on a dark \
            background (MNIST) sees a dark-on-light picture inverted: --invert auto does it when the image's border is \
            lighter than its centre.
            """)

    enum Invert: String, ExpressibleByArgument, CaseIterable { case auto, yes, no }

    @Argument(help: "A run folder (its best checkpoint), a last.safetensors or best.safetensors from one, or shipped weights by name (lenet@mnist).") var checkpoint: String
    @Argument(help: "Image files, or folders whose images are all predicted.") var inputs: [String]
    @Option(help: "How many classes to show per image.") var top = 3
    @Option(help: "For 1-channel models: invert gray levels (auto: when the border is lighter than the centre).") var invert = Invert.auto
    @Option(name: .customLong("batch-size")) var batchSize = 64
    @OptionGroup var jsonOption: JSONOption
    @OptionGroup var memory: MemoryOption

    struct Prediction: Encodable {
        let `class`: String
        let index: Int
        let probability: Double
    }

    struct Output: Encodable {
        let file: String
        let inverted: Bool
        let predictions: [Prediction]
    }

    /// One image ready for the model: its planar bytes (before normalisation) and whether it was inverted.
    struct Prepared {
        let file: String
        let pixels: [UInt8]
        let inverted: Bool
    }

    func run() throws {
        try memory.apply()
        guard top >= 1 else { throw ZooError("--top must be at least 1, not \(top)") }
        guard batchSize >= 1 else { throw ZooError("--batch-size must be at least 1, not \(batchSize)") }
        let model = try RestoredModel(path: try resolveCheckpointPath(checkpoint), batchSize: batchSize)
        let description = model.description
        let shape = description.imageShape
        var failed = false
        var files: [RawPath] = []
        for input in inputs {
            let path = RawPath(input)
            if path.isDirectory {
                do {
                    files += try FolderWalk.imageFiles(under: path, warn: { printError("error: \($0)"); failed = true })
                } catch {
                    printError("\(error)")
                    failed = true
                }
            } else {
                files.append(path)
            }
        }
        var prepared: [Prepared] = []
        for (file, image) in zip(files, ImageFolder.decode(files, size: [shape.height, shape.width], warn: { printError("error: \($0)") })) {
            guard let image else { failed = true; continue }
            let converted = image.converted(toChannels: shape.channels)
            let inverted = shape.channels == 1 && (invert == .yes || (invert == .auto && Self.borderIsLighter(converted)))
            prepared.append(Prepared(file: file.shown, pixels: inverted ? converted.pixels.map { 255 - $0 } : converted.planar, inverted: inverted))
        }
        let probabilities = try Self.probabilities(of: prepared, model: model, batchSize: batchSize)
        var outputs: [Output] = []
        for (image, row) in zip(prepared, probabilities) {
            let ranked = row.indices.sorted { row[$0] > row[$1] }.prefix(top)
            outputs.append(Output(file: image.file, inverted: image.inverted, predictions: ranked.map {
                Prediction(class: description.classNames[$0], index: $0, probability: (Double(row[$0]) * 1e6).rounded() / 1e6)
            }))
        }
        for output in outputs { print(jsonOption.json ? try jsonLine(output) : text(output)) }
        if failed { throw ExitCode(1) }
    }

    private func text(_ output: Output) -> String {
        let note = output.inverted ? " (inverted: dark strokes on a light background)" : ""
        let rows = output.predictions.map { [$0.class, String($0.index), String(format: "%.1f%%", $0.probability * 100)] }
        return "\(output.file)\(note)\n" + table(["class", "index", "probability"], rows, rightAligned: [1, 2])
    }

    private func jsonLine(_ output: Output) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }

    /// True when the outer ring (an eighth of each side, at least one pixel) is on average lighter than the middle half.
    static func borderIsLighter(_ image: DecodedImage) -> Bool {
        let (height, width) = (image.height, image.width)
        let ring = max(1, min(height, width) / 8)
        var (borderSum, borderCount, centreSum, centreCount) = (0, 0, 0, 0)
        for y in 0..<height {
            for x in 0..<width {
                let value = Int(image.pixels[y * width + x])
                if y < ring || y >= height - ring || x < ring || x >= width - ring {
                    borderSum += value
                    borderCount += 1
                } else if y >= height / 4, y < height - height / 4, x >= width / 4, x < width - width / 4 {
                    centreSum += value
                    centreCount += 1
                }
            }
        }
        guard borderCount > 0, centreCount > 0 else { return false }
        return borderSum * centreCount > centreSum * borderCount
    }

    /// Softmax of the network's outputs (logits or log-probabilities alike) for every image, in order.
    static func probabilities(of images: [Prepared], model: RestoredModel, batchSize: Int) throws -> [[Float]] {
        guard !images.isEmpty else { return [] }
        let shape = model.description.imageShape
        let split = try DatasetSplit(images: images.flatMap(\.pixels), labels: [UInt8](repeating: 0, count: images.count),
                                     channels: shape.channels, height: shape.height, width: shape.width)
        let loader = try BatchLoader(split: split, batchSize: batchSize, shuffle: false, seed: 0,
                                     transforms: model.description.testTransforms, normalization: model.description.normalization)
        let classes = model.network.outputShape.elementCount
        var rows: [[Float]] = []
        loader.start(epoch: 0)
        while let batch = loader.nextBatch() {
            try model.network.infer(batch, split: nil) { share, outputs in
                for sample in 0..<share.count {
                    let logits = outputs[(sample * classes)..<((sample + 1) * classes)]
                    let largest = logits.max() ?? 0
                    let exponentials = logits.map { Foundation.exp($0 - largest) }
                    let total = exponentials.reduce(0, +)
                    rows.append(exponentials.map { $0 / total })
                }
            }
        }
        return rows
    }
}
