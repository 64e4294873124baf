import ArgumentParser
import Foundation
import ZooConfig
import ZooCore
import ZooData
import ZooTraining

/// `zoo summary`: a per-layer table like Keras `summary()` or torchinfo, for one dataset's input, an input
/// shape, or the model as a training config builds it.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Show an architecture layer by layer: output shapes, parameters and MACs.")

    @Argument(help: "An architecture name (see `zoo list`), a path to an architecture .yaml file, or a training config (its model as it trains).")
    var architecture: String

    @OptionGroup var datasetOption: DatasetOption

    @Option(help: ArgumentHelp("Input shape instead of the dataset's, such as 1x32x32 (the class count stays the dataset's).", valueName: "CxHxW"))
    var input: String?

    /// Parameters of the file's `params:`; for a training config, its keys (`model.n_hidden=16`, `dataset.pad_to=32`).
    @OptionGroup var setOption: SetOption

    @Option(name: .customLong("batch-size"), help: "Batch size for the training memory estimate.")
    var batchSize = 64

    @OptionGroup var memory: MemoryOption

    /// JSON: {layers: [{name, type, inputs, output_shape, params, macs}], total_params, ...}.
    @OptionGroup var jsonOption: JSONOption

    @Flag(help: "List every layer of every block instead of one row per block instance.")
    var expand = false

    @Option(help: "Show these layers frozen, as `freeze:` in a training config would (conv1,conv2 or all_but_last).")
    var freeze: String?

    struct LayerRow: Encodable {
        let index: Int
        let name: String
        let type: String
        /// The layers read, by name, when that is not simply the layer before.
        let inputs: [String]?
        let output_shape: [Int]
        let params: Int
        let macs: Int
        /// Its parameters stay fixed in training (`--freeze`).
        let frozen: Bool

        /// The block instance a layer belongs to: `layer2.0` for `layer2.0.conv1` and `layer2.0.shortcut.0`.
        var block: String? {
            let parts = name.split(separator: ".")
            return parts.count > 1 ? parts.dropLast().prefix(2).joined(separator: ".") : nil
        }
    }

    struct Summary: Encodable {
        let name: String
        let source: String
        let dataset: String
        let input_shape: [Int]
        let layers: [LayerRow]
        let total_params: Int
        let trainable_params: Int
        let buffers: Int
        let macs: Int
        let activation_bytes: Int
        let batch_size: Int
        let training_memory_bytes: Int
        let memory_budget_bytes: Int
    }

    func run() throws {
        try memory.apply()
        guard batchSize >= 1 else { throw ZooError("--batch-size must be at least 1, not \(batchSize)") }
        let (found, input, overrides, network, configFreeze) = try model()
        let flagFreeze = freeze.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let frozen = Set(try network.layersToFreeze(flagFreeze ?? configFreeze))
        let layers = network.entries.enumerated().map { index, entry in
            LayerRow(index: index, name: entry.name, type: entry.description.type,
                     inputs: entry.inputs == [index - 1] ? nil : entry.inputs.map { $0 < 0 ? "input" : network.entries[$0].name },
                     output_shape: entry.outputShape.dimensions,
                     params: entry.parameters.filter(\.isTrainable).map(\.elementCount).reduce(0, saturatingSum),
                     macs: entry.multiplyAccumulates, frozen: frozen.contains(entry.name))
        }
        let buffers = network.entries.flatMap(\.parameters).filter { !$0.isTrainable }.map(\.elementCount).reduce(0, saturatingSum)
        // Forward activations of one image in float32: the input and every layer's output.
        let activationBytes = saturatingProduct([([input.shape] + network.entries.map(\.outputShape)).map(\.elementCount).reduce(0, saturatingSum), 4])
        let trainingMemory = MemoryEstimate(shapes: network).bytes(batchSize: batchSize, training: true)
        let summary = Summary(name: found.name, source: found.source, dataset: input.name, input_shape: input.shape.dimensions,
                              layers: layers, total_params: network.parameterCount, trainable_params: layers.filter { !$0.frozen }.map(\.params).reduce(0, saturatingSum),
                              buffers: buffers, macs: network.multiplyAccumulates, activation_bytes: activationBytes,
                              batch_size: batchSize, training_memory_bytes: trainingMemory, memory_budget_bytes: MemoryBudget.limitBytes)
        if jsonOption.json { return try printJSON(summary) }
        let overridden = overrides.isEmpty ? "" : " with " + overrides.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.plainText)" }.joined(separator: ", ")
        print("\(found.name) (\(found.source))\(overridden) on \(input.name): input \(input.shape), \(input.numClasses) classes\n")
        // A sequential network reads each layer's output in the next: no FROM column.
        let showsInputs = layers.contains { $0.inputs != nil }
        let rows = tableRows(layers).map { row in showsInputs ? row : row.enumerated().filter { $0.offset != 3 }.map(\.element) }
        let body = table(["#", "NAME", "TYPE"] + (showsInputs ? ["FROM"] : []) + ["OUTPUT SHAPE", "PARAMS", "MACS"], rows,
                         rightAligned: showsInputs ? [0, 5, 6] : [0, 4, 5])
        let width = body.split(separator: "\n").map(\.count).max() ?? 0
        let rule = String(repeating: "-", count: width)
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        print(lines[0])
        print(rule)
        lines.dropFirst().forEach { print($0) }
        print(rule)
        print("Total parameters:      \(grouped(summary.total_params))")
        print("Trainable parameters:  \(grouped(summary.trainable_params))")
        if buffers > 0 { print("Buffers (not trained): \(grouped(buffers))  (batchnorm running statistics)") }
        print("Multiply-accumulates:  \(grouped(summary.macs)) per image")
        print("Activation memory:     \(byteSize(activationBytes)) per image (float32 forward outputs, input included)")
        print("Parameter memory:      \(byteSize(saturatingProduct([saturatingSum(summary.total_params, buffers), 4]))) (float32)")
        print("Training memory:       about \(byteSize(trainingMemory)) at batch size \(grouped(batchSize)) (memory budget \(byteSize(MemoryBudget.limitBytes)))")
        if trainingMemory > MemoryBudget.limitBytes {
            print("warning: training at this batch size would not fit in the memory budget; `zoo train` would refuse it "
                  + "(use a smaller --batch-size, fewer channels, or --max-memory)")
        }
    }

    /// The architecture, its input, its parameter values and its shapes (no parameter allocated, so any
    /// architecture is summarised at once) and the layers its config freezes: from a training config as it trains, else for the dataset (or `--input`) with `--set`'s parameters.
    private func model() throws -> (Architecture, DatasetInput, [String: ArgumentValue], NetworkShapes, freeze: [String]) {
        if TrainingConfig.isTrainingConfig(path: architecture) {
            if input != nil { throw ZooError("--input does not apply to a training config; its dataset and transforms give the input", place: architecture) }
            let config = try TrainingConfig.load(path: architecture, overrides: setOption.settings)
            // A folder's image size and classes come from its images, as in training.
            let (images, classCount, _) = try DatasetCatalog.inputDescription(config.dataset, dataDirectory: config.dataDirectory, warn: printWarning)
            let shape = images.after(config.transforms)
            let input = DatasetInput(name: config.dataset.shown, shape: Shape([shape.channels, shape.height, shape.width]),
                                     numClasses: classCount)
            let found = try ArchitectureRegistry().architecture(named: config.model)
            return (found, input, config.modelParameters,
                    try found.shapes(dataset: input, overrides: config.modelParameters, places: config.modelParameterPlaces.byKey), config.freeze)
        }
        let dataset = try datasetOption.dataset.input
        let input = try self.input.map { DatasetInput(name: dataset.name, shape: try Self.shape($0), numClasses: dataset.numClasses) } ?? dataset
        let overrides = try setOption.parameters()
        let found = try ArchitectureRegistry().architecture(named: architecture)
        return (found, input, overrides, try found.shapes(dataset: input, overrides: overrides), [])
    }

    /// `1x32x32` as a shape.
    static func shape(_ text: String) throws -> Shape {
        let sides = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard sides.count == 3, sides.allSatisfy({ $0.map { (1...CheckpointDescription.maximumSide).contains($0) } ?? false }) else {
            throw ZooError("--input must be CHANNELSxHEIGHTxWIDTH, each from 1 to \(CheckpointDescription.maximumSide), such as 1x32x32, not `\(text)`")
        }
        return Shape(sides.compactMap { $0 })
    }

    /// One row per layer, or (unless --expand) one per block instance: its layers' count, the last one's
    /// output and the sums of parameters and MACs, so a 56-layer ResNet fits on a screen.
    private func tableRows(_ layers: [LayerRow]) -> [[String]] {
        func parameters(_ members: some Collection<LayerRow>) -> String {
            let frozen = members.filter(\.frozen).count
            return grouped(members.reduce(0) { $0 + $1.params }) + (frozen == 0 ? "" : frozen == members.count ? " frozen" : " part frozen")
        }
        func row(_ layer: LayerRow) -> [String] {
            [String(layer.index), layer.name, layer.type, layer.inputs?.joined(separator: ", ") ?? "",
             Shape(layer.output_shape).description, parameters([layer]), grouped(layer.macs)]
        }
        guard !expand else { return layers.map(row) }
        var rows: [[String]] = []
        var start = 0
        while start < layers.count {
            guard let block = layers[start].block else {
                rows.append(row(layers[start]))
                start += 1
                continue
            }
            let members = layers[start...].prefix { $0.block == block }
            let last = members.last ?? layers[start]  // members starts with layers[start]
            rows.append([members.count == 1 ? String(last.index) : "\(layers[start].index)-\(last.index)", block,
                         "block of \(members.count)", layers[start].inputs?.joined(separator: ", ") ?? "",
                         Shape(last.output_shape).description, parameters(members),
                         grouped(members.reduce(0) { $0 + $1.macs })])
            start += members.count
        }
        return rows
    }
}
