import ArgumentParser
import Foundation
import ZooConfig
import ZooCore
import ZooData

/// `zoo eval CHECKPOINT`: test loss, accuracy, per-class accuracy and the confusion matrix.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a checkpoint on its dataset's test set (or another with the same image shape).")

    @Argument(help: "A last.safetensors or best.safetensors from a run folder.") var checkpoint: String
    @Option(help: "Evaluate on this dataset instead of the one the model was trained on.") var dataset: DatasetArgument?
    @OptionGroup var dataDirectoryOption: DataDirectoryOption
    @Option(name: .customLong("batch-size")) var batchSize = 1000
    @OptionGroup var jsonOption: JSONOption
    @OptionGroup var memory: MemoryOption
    @OptionGroup var precisionOption: PrecisionOption

    struct Report: Encodable {
        let checkpoint: String
        let dataset: String
        let loss: Double
        let accuracy: Double
        let correct: Int
        let total: Int
        let classNames: [String]
        let perClassAccuracy: [Double]
        let confusion: [[Int]]

        enum CodingKeys: String, CodingKey {
            case checkpoint, dataset, loss, accuracy, correct, total, confusion
            case classNames = "class_names", perClassAccuracy = "per_class_accuracy"
        }
    }

    func run() throws {
        try memory.apply()
        guard batchSize >= 1 else { throw ZooError("--batch-size must be at least 1, not \(batchSize)") }
        let model = try RestoredModel(path: checkpoint, batchSize: batchSize)
        let (description, network) = (model.description, model.network)
        network.precision = try precisionOption.resolve().precision
        let datasetName = try dataset?.name ?? description.dataset
        let data = try DatasetCatalog.load(datasetName, dataDirectory: dataDirectoryOption.dataDirectory)
        let loader = try BatchLoader(split: data.test, batchSize: batchSize, shuffle: false, seed: 0,
                                     transforms: description.testTransforms, normalization: description.normalization)
        guard [loader.channels, loader.height, loader.width] == description.inputShape.dimensions else {
            throw ZooError("the model takes \(description.inputShape) images but \(datasetName.rawValue) gives \(loader.channels)x\(loader.height)x\(loader.width)",
                           hint: "evaluate on a dataset with the image shape the model was trained on")
        }
        let evaluation = try network.evaluate(data: loader, loss: description.loss)
        let classNames = datasetName == description.dataset ? description.classNames : data.classNames
        let report = Report(checkpoint: checkpoint, dataset: datasetName.rawValue, loss: evaluation.loss, accuracy: evaluation.accuracy,
                            correct: evaluation.correct, total: evaluation.total, classNames: classNames,
                            perClassAccuracy: evaluation.perClassAccuracy, confusion: evaluation.confusion)
        if jsonOption.json { return try printJSON(report) }
        print(String(format: "Test set (%@): Average loss: %.4f, Accuracy: %d/%d (%.2f%%)", datasetName.rawValue,
                     evaluation.loss, evaluation.correct, evaluation.total, evaluation.accuracy * 100))
        print("\nPer-class accuracy:")
        print(table(["class", "accuracy"], zip(classNames, evaluation.perClassAccuracy).map { [$0, String(format: "%.2f%%", $1 * 100)] },
                    rightAligned: [1]))
        print("\nConfusion matrix (rows: true class, columns: predicted):")
        let indices = classNames.indices.map(String.init)
        print(table([""] + indices, evaluation.confusion.enumerated().map { ["\($0) \(classNames[$0])"] + $1.map(String.init) },
                    rightAligned: Set(1...indices.count)))
    }
}
