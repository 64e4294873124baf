import Foundation
import ZooConfig
import ZooCore
import ZooData

/// The self-description stored in a checkpoint's metadata (every key named in `CheckpointKey`), written by
/// `zoo train` and read back, each value checked, by `zoo eval` and `--resume`.
public struct CheckpointDescription {
    public var architectureText: String
    public var architectureSource: String
    public var modelParameters: [String: ArgumentValue]
    public var dataset: DatasetSource
    public var inputShape: Shape
    public var classNames: [String]
    public var normalization: Normalization?
    public var testTransforms: [Transform]
    public var loss: Loss
    public var config: String
    /// The `data_dir` the run was trained with, from `config`.
    public var dataDirectory: String? { savedConfig?.dataDirectory }
    /// The views the run scored its test set with (`tta:` in `config`), so evaluation reproduces its accuracy.
    public var testTimeAugmentation: TestTimeAugmentation? { savedConfig?.testTimeAugmentation }
    /// `config` read back; zoo wrote it, and a checkpoint whose config no longer parses still evaluates without it.
    private var savedConfig: TrainingConfig? { try? TrainingConfig.resolve(text: config, file: "the checkpoint's config", overrides: []) }
    /// Completed epochs; the best test accuracy so far (-1 before any evaluation); the latest one, if any.
    public var epoch: Int
    public var bestTestAccuracy: Double
    public var testAccuracy: Double?

    /// Larger values come from damage, not from `zoo train`.
    public static let maximumSide = 4096
    public static let maximumClasses = 100_000
    public static let maximumEpoch = 1_000_000

    public init(architecture: Architecture, config: TrainingConfig, network: Network, dataset: Dataset,
         epoch: Int, bestTestAccuracy: Double, testAccuracy: Double?) {
        architectureText = architecture.text
        architectureSource = architecture.source
        modelParameters = config.modelParameters
        // A folder's size and channels as found, so evaluation and prediction preprocess alike.
        self.dataset = dataset.source
        inputShape = network.inputShape
        classNames = dataset.classNames
        normalization = config.normalize ? dataset.defaultNormalization : nil
        testTransforms = config.transforms.filter(\.isDeterministic)
        loss = config.loss(for: network)
        self.config = config.resolvedYAML
        self.epoch = epoch
        self.bestTestAccuracy = bestTestAccuracy
        self.testAccuracy = testAccuracy
    }

    public var metadata: [String: String] {
        get throws {
            var values: [CheckpointKey: String] = [
                .architecture: architectureText, .architectureSource: architectureSource,
                .modelParameters: try metadataJSON(modelParameters), .dataset: dataset.name,
                .inputShape: try metadataJSON(inputShape.dimensions), .classNames: try metadataJSON(classNames),
                .normalization: try metadataJSON(normalization), .testTransforms: try metadataJSON(testTransforms),
                .loss: loss.rawValue, .config: config, .epoch: String(epoch), .bestTestAccuracy: String(bestTestAccuracy),
            ]
            if let testAccuracy { values[.testAccuracy] = String(testAccuracy) }
            if case .folder(let folder) = dataset { values[.datasetFolder] = try metadataJSON(folder) }
            return Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, $0.value) })
        }
    }

    public init(metadata values: [String: String], path: String) throws {
        let metadata = CheckpointMetadata(values, path: path)
        architectureText = try metadata.string(.architecture)
        architectureSource = values[CheckpointKey.architectureSource.rawValue] ?? path
        // Checkpoints written before parameters kept their type hold their text ("16").
        modelParameters = try metadata.json(.modelParameters, as: [String: ArgumentValue].self).mapValues { value in
            if case .string(let text) = value { return Architecture.parameterValue(text: text) }
            return value
        }
        if try metadata.string(.dataset) == "folder" {
            let folder = try metadata.json(.datasetFolder, as: ImageFolderSettings.self)
            guard let size = folder.size, size.count == 2, size.allSatisfy({ (1...Self.maximumSide).contains($0) }),
                  let channels = folder.channels, [1, 3].contains(channels) else {
                throw metadata.error(.datasetFolder, "must give the folder's `size` ([height, width], each 1 to \(Self.maximumSide)) and `channels` (1 or 3)")
            }
            dataset = .folder(folder)
        } else {
            do {
                dataset = .builtIn(try DatasetName.parse(try metadata.string(.dataset)))
            } catch let error as ZooError where error.place != path {
                throw metadata.error(.dataset, error.message)
            }
        }
        let dimensions = try metadata.json(.inputShape, as: [Int].self)
        guard [1, 3].contains(dimensions.count), dimensions.allSatisfy({ (1...Self.maximumSide).contains($0) }) else {
            throw metadata.error(.inputShape, "must be [channels, height, width] or [features] with each between 1 and \(Self.maximumSide), not \(dimensions)")
        }
        inputShape = Shape(dimensions)
        classNames = try metadata.json(.classNames, as: [String].self)
        guard (1...Self.maximumClasses).contains(classNames.count) else {
            throw metadata.error(.classNames, "must list 1 to \(Self.maximumClasses) classes, not \(classNames.count)")
        }
        normalization = try metadata.json(.normalization, as: Normalization?.self)
        if let normalization {
            let values = normalization.mean + normalization.std
            guard !normalization.mean.isEmpty, normalization.mean.count <= Self.maximumSide, normalization.std.count == normalization.mean.count,
                  values.allSatisfy(\.isFinite), normalization.std.allSatisfy({ $0 > 0 }) else {
                throw metadata.error(.normalization, "must have as many finite means as standard deviations, each deviation above 0")
            }
        }
        testTransforms = try metadata.json(.testTransforms, as: [Transform].self)
        for transform in testTransforms {
            guard transform.isDeterministic else {
                throw metadata.error(.testTransforms, "\(transform) is random, for training only; a test transform must be deterministic (pad_to, permute_pixels)")
            }
            for (what, size) in transform.settings.sizes where !(1...Self.maximumSide).contains(size) {
                throw metadata.error(.testTransforms, "\(what) \(size) is outside 1...\(Self.maximumSide)")
            }
        }
        let produced = Self.imageShape(of: dataset).after(testTransforms)
        guard [produced.channels, produced.height, produced.width] == dimensions || [produced.channels * produced.height * produced.width] == dimensions else {
            throw metadata.error(.inputShape, "\(inputShape) is not what \(dataset.shown) gives after the test transforms "
                                 + "(\(produced.channels)x\(produced.height)x\(produced.width))")
        }
        guard let loss = Loss(rawValue: try metadata.string(.loss)) else {
            throw metadata.error(.loss, "names an unknown loss `\(values[CheckpointKey.loss.rawValue] ?? "")`; known: "
                                 + Loss.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self.loss = loss
        config = values[CheckpointKey.config.rawValue] ?? ""
        epoch = try metadata.integer(.epoch, in: 0...Self.maximumEpoch)
        // Absent in checkpoints written by hand (tests, tools): no evaluation yet.
        bestTestAccuracy = try values[CheckpointKey.bestTestAccuracy.rawValue].map { _ in try metadata.number(.bestTestAccuracy, in: -1...1) } ?? -1
        testAccuracy = try values[CheckpointKey.testAccuracy.rawValue].map { _ in try metadata.number(.testAccuracy, in: 0...1) }
    }

    /// The dataset's images before the test transforms: what `zoo predict` resizes a picture to.
    public var imageShape: ImageShape { Self.imageShape(of: dataset) }

    /// A folder's size and channels are always filled in a checkpoint (checked when read).
    private static func imageShape(of dataset: DatasetSource) -> ImageShape {
        switch dataset {
        case .builtIn(let name): return ImageShape(channels: name.channels, height: name.height, width: name.width)
        case .folder(let folder):
            return ImageShape(channels: folder.channels ?? 1, height: folder.size?[0] ?? 1, width: folder.size?[1] ?? 1)
        }
    }

    /// What `zoo eval --dataset` reads: a registered dataset as it is; a folder resized and converted to this model's
    /// images, every image evaluated (or its test/ split, if it has one).
    public func evaluationSource(for source: DatasetSource) throws -> DatasetSource {
        guard case .folder(let folder) = source else { return source }
        let shape = imageShape
        return .folder(ImageFolderSettings(path: folder.path, size: [shape.height, shape.width], channels: shape.channels, testFraction: 1))
    }

    /// `split` with its labels (indices into `classNames`, a folder's classes) turned into this model's class indices.
    public func relabeled(_ split: DatasetSplit, classNames folderClasses: [String], folder: String) throws -> DatasetSplit {
        let indices = try folderClasses.map { name in
            guard let index = classNames.firstIndex(of: name) else {
                throw ZooError("the class folder `\(name)` is not one of the model's classes (\(classNames.joined(separator: ", ")))",
                               place: folder, hint: "name each class folder after one of the model's classes")
            }
            return UInt8(index)
        }
        return try DatasetSplit(images: split.images, labels: split.labels.map { indices[Int($0)] }, channels: split.channels,
                                height: split.height, width: split.width)
    }
}

/// A metadata value as compact JSON with sorted keys.
package func metadataJSON<Value: Encodable>(_ value: Value) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
