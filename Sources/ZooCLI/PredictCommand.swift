import ArgumentParser
import Foundation
import ZooConfig
import ZooCore
import ZooData
import ZooReport
import ZooTraining

/// `zoo predict CHECKPOINT INPUT...`: each image preprocessed as the model's training images were (size, channels,
/// normalisation from the checkpoint), then its most likely classes; `--html` also shows what the layers saw.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Classify image files (PNG, JPEG) or folders of them with a checkpoint.",
        discussion: """
            Each image is resized to the model's input (area-averaging when shrinking, bilinear when growing) and converted \
            to its channels (colour to gray as PIL's convert("L")). A 1-channel model trained on light strokes on a dark \
            background (MNIST) sees a dark-on-light picture inverted: --invert auto does it when the image's border is \
            lighter than its centre. --html OUT.html also writes a page with each image as the model saw it, its top \
            classes, the feature maps of every convolution and pooling layer, and the first convolution's filters.
            """)

    enum Invert: String, ExpressibleByArgument, CaseIterable { case auto, yes, no }

    @Argument(help: "A run folder (its best checkpoint), a last.safetensors or best.safetensors from one, or shipped weights by name (lenet@mnist).") var checkpoint: String
    @Argument(help: "Image files, or folders whose images are all predicted.") var inputs: [String]
    @Option(help: "How many classes to show per image.") var top = 3
    @Option(help: "For 1-channel models: invert gray levels (auto: when the border is lighter than the centre).") var invert = Invert.auto
    @Option(name: .customLong("batch-size")) var batchSize = 64
    @Option(help: ArgumentHelp("Also write an offline page: each image as the model saw it, its top classes, the feature maps of every "
                               + "convolution and pooling layer, and the first convolution's filters (batches of at most 8 images then).",
                               valueName: "OUT.html"))
    var html: String?
    @OptionGroup var jsonOption: JSONOption
    @OptionGroup var memory: MemoryOption
    @OptionGroup var precisionOption: PrecisionOption

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

    static let invertedNote = "inverted: dark strokes on a light background"

    func run() throws {
        try memory.apply()
        guard top >= 1 else { throw ZooError("--top must be at least 1, not \(top)") }
        guard batchSize >= 1 else { throw ZooError("--batch-size must be at least 1, not \(batchSize)") }
        // The page's feature maps are kept for a whole batch at once, so its batches are small.
        let batchSize = html == nil ? batchSize : min(batchSize, 8)
        let model = try RestoredModel(path: try resolveCheckpointPath(checkpoint), batchSize: batchSize)
        model.network.precision = try model.resolvedPrecision(precisionOption)
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
        var page = html.map { _ in
            PredictionPage(title: "zoo predict: \(model.architectureName) on \(description.dataset.shown)",
                           subtitle: "\(checkpoint) · input \(model.network.inputShape) · \(model.network.precision.rawValue) · \(grouped(prepared.count)) images")
        }
        let mapped = page == nil ? [] : Self.mappedLayers(of: model.network)
        let inputShape = model.network.inputShape
        let probabilities = try Self.probabilities(of: prepared, model: model, batchSize: batchSize, capturing: mapped.map(\.name)) { index, row, input, layers, sample in
            let picture = page?.takesMoreImages == true ? try Self.picture(of: input, normalization: description.normalization, shape: inputShape) : []
            try page?.add(file: prepared[index].file, png: picture, height: inputShape.height, width: inputShape.width,
                          note: prepared[index].inverted ? Self.invertedNote : nil,
                          predictions: ranked(row).map { (description.classNames[$0], Double(row[$0])) },
                          maps: zip(layers, mapped).map { ($0, sample, $1.note) })
        }
        for (image, row) in zip(prepared, probabilities) {
            let output = Output(file: image.file, inverted: image.inverted, predictions: ranked(row).map {
                Prediction(class: description.classNames[$0], index: $0, probability: (Double(row[$0]) * 1e6).rounded() / 1e6)
            })
            print(jsonOption.json ? try jsonLine(output) : text(output))
        }
        if let html, var page {
            page.filters = try Tiles.firstConvolutionFilters(model.network.firstConvolutionWeight())
            try writeAtomically(page.html, to: html)
            if !jsonOption.json { print("page: \(html)") }
        }
        if failed { throw ExitCode(1) }
    }

    /// The indices of the `top` most likely classes, most likely first.
    private func ranked(_ row: [Float]) -> [Int] { Array(row.indices.sorted { row[$0] > row[$1] }.prefix(top)) }

    private func text(_ output: Output) -> String {
        let note = output.inverted ? " (\(Self.invertedNote))" : ""
        let rows = output.predictions.map { [$0.class, String($0.index), String(format: "%.1f%%", $0.probability * 100)] }
        return "\(output.file)\(note)\n" + table(["class", "index", "probability"], rows, rightAligned: [1, 2])
    }

    private func jsonLine(_ output: Output) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }

    /// The convolution and pooling layers whose maps are larger than one pixel, each with what its maps are when it
    /// needs saying: a conv read only by an element-wise layer (its ReLU) is shown before that layer.
    static func mappedLayers(of network: Network) -> [(name: String, note: String?)] {
        let entries = network.entries
        return entries.indices.compactMap { index in
            let entry = entries[index]
            let shape = entry.outputShape
            guard entry.layer is Conv2d || entry.layer is MaxPool2d || entry.layer is AvgPool2d || entry.layer is GlobalAvgPool,
                  shape.isImage, shape.height * shape.width > 1 else { return nil }
            guard entry.layer is Conv2d, index + 1 < entries.count else { return (entry.name, nil) }
            let next = entries[index + 1]
            let elementwise = next.inputs == [index] && next.outputShape == shape && next.parameters.isEmpty
            return (entry.name, elementwise ? "before its \(next.description.type)" : nil)
        }
    }

    /// One image of the network's input (normalised floats, channels x height x width) as the 8-bit picture it came from.
    static func picture(of input: ArraySlice<Float>, normalization: Normalization?, shape: Shape) throws -> [UInt8] {
        let plane = max(shape.height * shape.width, 1)
        let pixels = input.enumerated().map { offset, value -> UInt8 in
            let (mean, std) = normalization?.parameters(ofChannel: offset / plane) ?? (0, 1)
            let level = ((value * std + mean) * 255).rounded()
            return level.isFinite ? UInt8(max(0, min(255, level))) : 0
        }
        return try PNG.encode(planar: pixels, channels: shape.channels, height: shape.height, width: shape.width)
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

    /// Softmax of the network's outputs (logits or log-probabilities alike) for every image, in order. With layers to
    /// capture, `visit` sees each image's index, probabilities and network input, and its batch's captured outputs
    /// with its place in them.
    static func probabilities(of images: [Prepared], model: RestoredModel, batchSize: Int, capturing layerNames: [String] = [],
                              visit: (_ index: Int, _ probabilities: [Float], _ input: ArraySlice<Float>, _ layers: [LayerOutput], _ sample: Int) throws -> Void
                                  = { _, _, _, _, _ in }) throws -> [[Float]] {
        guard !images.isEmpty else { return [] }
        let shape = model.description.imageShape
        let split = try DatasetSplit(images: images.flatMap(\.pixels), labels: [UInt8](repeating: 0, count: images.count),
                                     channels: shape.channels, height: shape.height, width: shape.width)
        let loader = try BatchLoader(split: split, batchSize: batchSize, shuffle: false, seed: 0,
                                     transforms: model.description.testTransforms, normalization: model.description.normalization)
        let classes = model.network.outputShape.elementCount
        let inputSize = model.network.inputShape.elementCount
        var rows: [[Float]] = []
        loader.start(epoch: 0)
        while let batch = loader.nextBatch() {
            let (outputs, layers) = try batch.images.withUnsafeBufferPointer { images in
                try model.network.forward(images: images, count: batch.count, capturing: layerNames)
            }
            for sample in 0..<batch.count {
                let logits = outputs[(sample * classes)..<((sample + 1) * classes)]
                let largest = logits.max() ?? 0
                let exponentials = logits.map { Foundation.exp($0 - largest) }
                let total = exponentials.reduce(0, +)
                rows.append(exponentials.map { $0 / total })
                try visit(rows.count - 1, rows[rows.count - 1], ArraySlice(batch.images[(sample * inputSize)..<((sample + 1) * inputSize)]), layers, sample)
            }
        }
        return rows
    }
}
