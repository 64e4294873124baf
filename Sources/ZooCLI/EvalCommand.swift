import ArgumentParser
import Foundation
import ZooConfig
import ZooCore
import ZooData
import ZooTraining

/// `zoo eval CHECKPOINT|RUN`: test loss, accuracy, per-class accuracy and the confusion matrix.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "Evaluate a checkpoint on its dataset's test set (or another with the same image shape).")

    @Argument(help: "A run folder (its best checkpoint), a last.safetensors or best.safetensors from one, or shipped weights by name (lenet@mnist).") var checkpoint: String
    @Option(help: "Evaluate on this dataset instead of the one the model was trained on.") var dataset: DatasetArgument?
    @OptionGroup var dataDirectoryOption: DataDirectoryOption
    @Option(name: .customLong("batch-size")) var batchSize = 1000
    @Option(help: ArgumentHelp("Score each image by the mean softmax over it and these views: hflip (its mirror image), translate "
                               + "(shifted one pixel each way), or both: hflip,translate (6 views); none for the image alone. "
                               + "Default: the views the run scored its test set with (its config's `tta`).", valueName: "views"))
    var tta: String?
    @OptionGroup var jsonOption: JSONOption
    @OptionGroup var memory: MemoryOption
    @OptionGroup var precisionOption: PrecisionOption

    struct Report: Encodable {
        let checkpoint: String
        let dataset: String
        /// The folder the test images were read from.
        let dataLocation: String
        let loss: Double
        let accuracy: Double
        let correct: Int
        let total: Int
        let classNames: [String]
        let perClassAccuracy: [Double]
        let confusion: [[Int]]
        /// The test-time views besides the image itself (empty: the image alone).
        let tta: [String]

        enum CodingKeys: String, CodingKey {
            case checkpoint, dataset, loss, accuracy, correct, total, confusion, tta
            case classNames = "class_names", perClassAccuracy = "per_class_accuracy", dataLocation = "data_location"
        }
    }

    /// `--tta hflip,translate`; `--tta none` is nil.
    static func testTimeAugmentation(_ text: String) throws -> TestTimeAugmentation? {
        if text == "none" { return nil }
        let names = TestTimeAugmentation.View.allCases.map(\.rawValue) + ["none"]
        let views = try text.split(separator: ",").map { name in
            guard let view = TestTimeAugmentation.View(rawValue: String(name)) else {
                throw unknownName(String(name), what: "--tta view", known: names)
            }
            return view
        }
        guard !views.isEmpty, Set(views).count == views.count else {
            throw ZooError("--tta takes views without repeats, not `\(text)`", hint: "e.g. --tta hflip,translate or --tta translate")
        }
        return TestTimeAugmentation(views: views)
    }

    func run() throws {
        try memory.apply()
        guard batchSize >= 1 else { throw ZooError("--batch-size must be at least 1, not \(batchSize)") }
        let checkpoint = try resolveCheckpointPath(self.checkpoint)
        let model = try RestoredModel(path: checkpoint, batchSize: batchSize)
        let (description, network) = (model.description, model.network)
        network.precision = try model.resolvedPrecision(precisionOption)
        let source = try dataset.map { try description.evaluationSource(for: $0.source) } ?? description.dataset
        // Where the run found its data comes before the usual places.
        let data = try DatasetCatalog.load(source, dataDirectory: dataDirectoryOption.dataDirectory ?? description.dataDirectory, warn: printWarning)
        // A folder's classes are matched to the model's by name, so its labels count as the model's.
        let test = source == description.dataset ? data.test : try description.relabeled(data.test, classNames: data.classNames, folder: source.shown)
        let loader = try BatchLoader(split: test, batchSize: batchSize, shuffle: false, seed: 0,
                                     transforms: description.testTransforms, normalization: description.normalization)
        guard [loader.channels, loader.height, loader.width] == description.inputShape.dimensions else {
            throw ZooError("the model takes \(description.inputShape) images but \(source.shown) gives \(loader.channels)x\(loader.height)x\(loader.width)",
                           hint: "evaluate on a dataset with the image shape the model was trained on")
        }
        let views = try tta.map(Self.testTimeAugmentation) ?? description.testTimeAugmentation
        let evaluation = try network.evaluate(data: loader, loss: description.loss, testTimeAugmentation: views)
        let classNames = source == description.dataset || isFolder(source) ? description.classNames : data.classNames
        let report = Report(checkpoint: checkpoint, dataset: source.shown, dataLocation: data.location, loss: evaluation.loss, accuracy: evaluation.accuracy,
                            correct: evaluation.correct, total: evaluation.total, classNames: classNames,
                            perClassAccuracy: evaluation.perClassAccuracy, confusion: evaluation.confusion,
                            tta: views?.views.map(\.rawValue) ?? [])
        if jsonOption.json { return try printJSON(report) }
        print("checkpoint \(checkpoint); \(source.shown) from \(data.location); precision \(network.precision.rawValue)")
        print(String(format: "Test set (%@%@): Average loss: %.4f, Accuracy: %d/%d (%.2f%%)", source.shown,
                     views.map { ", tta: \($0.viewCount) views" + (tta == nil ? " as the run scored its test set; --tta none for one" : "") } ?? "", evaluation.loss, evaluation.correct, evaluation.total, evaluation.accuracy * 100))
        print("\nPer-class accuracy:")
        print(table(["class", "accuracy"], zip(classNames, evaluation.perClassAccuracy).map { [$0, String(format: "%.2f%%", $1 * 100)] },
                    rightAligned: [1]))
        print("\nConfusion matrix (rows: true class, columns: predicted):")
        let indices = classNames.indices.map(String.init)
        print(table([""] + indices, evaluation.confusion.enumerated().map { ["\($0) \(classNames[$0])"] + $1.map(String.init) },
                    rightAligned: Set(1...indices.count)))
    }
}

private func isFolder(_ source: DatasetSource) -> Bool {
    if case .folder = source { return true }
    return false
}
