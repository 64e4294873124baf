import ArgumentParser
import Foundation
import ZooCore
import ZooData
import ZooTraining

/// `zoo quantize CHECKPOINT OUT.safetensors`: post-training static int8 quantization, then float32 and int8 test
/// accuracy side by side.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize", abstract: "Quantize a checkpoint to int8 for inference (zoo eval and zoo bench run it in int8).",
        discussion: """
            Batch norm is folded into the convolution before it; weights become int8 with one scale per output channel; \
            each activation gets one scale from its largest magnitude over the calibration images (training images, \
            preprocessed as the test images). The output keeps the float32 tensors, so --precision fp32 still runs it. \
            See docs/precision.md.
            """)

    @Argument(help: "A run folder, a checkpoint file, or shipped weights by name (lenet@mnist).") var checkpoint: String
    @Argument(help: "Where to write the quantized checkpoint (.safetensors).") var output: String
    @Option(help: "Training images to calibrate activation scales on, the same number from each class.") var calibration = 1000
    @Option(name: .customLong("batch-size")) var batchSize = 250
    @OptionGroup var dataDirectoryOption: DataDirectoryOption
    @OptionGroup var jsonOption: JSONOption
    @OptionGroup var memory: MemoryOption

    struct Report: Encodable {
        let checkpoint: String
        let output: String
        let calibrationImages: Int
        let float32Accuracy: Double
        let int8Accuracy: Double
        let float32Loss: Double
        let int8Loss: Double
        let classNames: [String]
        let float32PerClass: [Double]
        let int8PerClass: [Double]

        enum CodingKeys: String, CodingKey {
            case checkpoint, output
            case calibrationImages = "calibration_images", float32Accuracy = "float32_accuracy", int8Accuracy = "int8_accuracy"
            case float32Loss = "float32_loss", int8Loss = "int8_loss"
            case classNames = "class_names", float32PerClass = "float32_per_class_accuracy", int8PerClass = "int8_per_class_accuracy"
        }
    }

    func run() throws {
        try memory.apply()
        guard calibration >= 1 else { throw ZooError("--calibration must be at least 1 image, not \(calibration)") }
        guard batchSize >= 1 else { throw ZooError("--batch-size must be at least 1, not \(batchSize)") }
        guard output.hasSuffix(".safetensors") else {
            throw ZooError("the output `\(output)` should end in .safetensors", hint: "e.g. zoo quantize lenet@mnist lenet-int8.safetensors")
        }
        let checkpoint = try resolveCheckpointPath(self.checkpoint)
        let model = try RestoredModel(path: checkpoint, batchSize: batchSize)
        let (description, network) = (model.description, model.network)
        guard network.quantization == nil else {
            throw ZooError("the checkpoint is already quantized", place: checkpoint, hint: "quantize the float32 checkpoint it came from")
        }
        let data = try DatasetCatalog.load(description.dataset, dataDirectory: dataDirectoryOption.dataDirectory ?? description.dataDirectory,
                                           warn: printWarning)
        func loader(_ split: DatasetSplit) throws -> BatchLoader {
            try BatchLoader(split: split, batchSize: min(batchSize, split.count), shuffle: false, seed: 0,
                            transforms: description.testTransforms, normalization: description.normalization)
        }
        let calibrationSplit = data.train.balancedSubset(count: calibration, seed: 0)
        let quantization = try NetworkQuantization(network: network, ranges: try network.calibrate(data: try loader(calibrationSplit)))
        let test = try loader(data.test)
        let float32 = try network.evaluate(data: test, loss: description.loss)
        network.quantization = quantization
        network.precision = .int8
        let int8 = try network.evaluate(data: test, loss: description.loss)

        var quantized = model.checkpoint
        quantized.optimizer = nil
        quantized.int8Tensors = quantization.tensors
        let summary: [String: String] = ["calibration_images": String(calibrationSplit.count), "activation_scales": "max-abs",
                                         "weights": "per-channel symmetric int8", "float32_accuracy": String(float32.accuracy),
                                         "int8_accuracy": String(int8.accuracy)]
        quantized.metadata[CheckpointKey.quantization.rawValue] = try metadataJSON(summary)
        try quantized.write(to: output)

        let classNames = description.classNames
        if jsonOption.json {
            return try printJSON(Report(checkpoint: checkpoint, output: output, calibrationImages: calibrationSplit.count,
                                        float32Accuracy: float32.accuracy, int8Accuracy: int8.accuracy, float32Loss: float32.loss,
                                        int8Loss: int8.loss, classNames: classNames,
                                        float32PerClass: float32.perClassAccuracy, int8PerClass: int8.perClassAccuracy))
        }
        print("wrote \(output): int8 weights folded from \(checkpoint), activation scales from \(calibrationSplit.count) training images")
        print(String(format: "test accuracy: float32 %.2f%%, int8 %.2f%% (%+.2f points) on %d images", float32.accuracy * 100,
                     int8.accuracy * 100, (int8.accuracy - float32.accuracy) * 100, int8.total))
        let lost = classNames.indices.filter { int8.perClassAccuracy[$0] < float32.perClassAccuracy[$0] }
        guard !lost.isEmpty else { return print("no class lost accuracy") }
        print("\nClasses that lost accuracy:")
        print(table(["class", "float32", "int8", "change"], lost.map { index in
            [classNames[index], String(format: "%.2f%%", float32.perClassAccuracy[index] * 100), String(format: "%.2f%%", int8.perClassAccuracy[index] * 100),
             String(format: "%+.2f", (int8.perClassAccuracy[index] - float32.perClassAccuracy[index]) * 100)]
        }, rightAligned: [1, 2, 3]))
    }
}
