import Foundation
import ZooFoundation

/// A dataset as a config names it: its name, image shape and classes, where its files are and how they
/// are read, and where to download it. One type per dataset, registered in `DatasetRegistry`.
public protocol ImageDataset: SendableMetatype {
    static var name: String { get }
    static var channels: Int { get }
    static var height: Int { get }
    static var width: Int { get }
    static var classCount: Int { get }
    /// Names used when the data folder brings none of its own (CIFAR's batches.meta.txt overrides these).
    static var defaultClassNames: [String] { get }
    /// The mean and standard deviation of the training pixels in [0, 1], as commonly quoted.
    static var defaultNormalization: Normalization { get }
    /// What a user runs to get the data.
    static var installHint: String { get }
    /// Folders to look in after DATA_DIR/<name> (a system package's folder, say).
    static var systemFolders: [String] { get }
    /// The folders under a dataset folder that may hold the files directly, in search order.
    static func searchFolders(in folder: String) -> [String]
    /// Each file the dataset needs, as its accepted spellings: the training files, then the test files.
    static var requiredFiles: [[String]] { get }
    /// Reads both splits from the files found (in `requiredFiles` order) in `folder`; nil class names keep the defaults.
    static func load(_ paths: [String], folder: String) throws -> (train: DatasetSplit, test: DatasetSplit, classNames: [String]?)
    /// Image counts from file headers and sizes only.
    static func counts(_ paths: [String]) throws -> (train: Int, test: Int)
    /// The usual mirror and its files; nil where no checksum is known.
    static var download: DatasetDownload? { get }
    /// Short forms people type (`fmnist`), suggested as this dataset when they are not a dataset's name.
    static var shortForms: [String] { get }
}

extension ImageDataset {
    public static var systemFolders: [String] { [] }
    public static func searchFolders(in folder: String) -> [String] { [folder] }
    public static var download: DatasetDownload? { nil }
    public static var shortForms: [String] { [] }
}

/// Every dataset by name. Adding one: a new file with its `ImageDataset`, one line here
/// (or, from a library, `DatasetRegistry.registry.register(MyDataset.self)`).
public enum DatasetRegistry {
    public static let registry = Registry<any ImageDataset.Type>([
        MNIST.self,
        FashionMNIST.self,
        CIFAR10.self,
        CIFAR100.self,
    ])

    public static var types: [any ImageDataset.Type] { registry.all }
}

/// A dataset's name, e.g. from `--dataset`, and what its type says about it.
public struct DatasetName: Hashable, Sendable, Codable {
    public let type: any ImageDataset.Type

    public init(_ type: any ImageDataset.Type) { self.type = type }

    public static var allCases: [DatasetName] { DatasetRegistry.types.map(DatasetName.init) }

    /// Parses a name as typed on the command line or in a config; `fashion_mnist` and `CIFAR-10` are accepted too.
    public static func parse(_ text: String) throws -> DatasetName {
        if let name = allCases.first(where: { sameName($0.rawValue, text) }) { return name }
        let unknown = unknownName(text, what: "dataset", known: allCases.map(\.rawValue))
        guard let meant = allCases.first(where: { $0.type.shortForms.contains { sameName($0, text) } }) else { throw unknown }
        throw ZooError(unknown.message, hint: "did you mean `\(meant.rawValue)`? known datasets: " + allCases.map(\.rawValue).joined(separator: ", "))
    }

    public var rawValue: String { type.name }
    /// The folder the dataset lives in under a data directory.
    public var folderName: String { rawValue }
    public var channels: Int { type.channels }
    public var height: Int { type.height }
    public var width: Int { type.width }
    public var classCount: Int { type.classCount }
    public var defaultClassNames: [String] { type.defaultClassNames }
    public var defaultNormalization: Normalization { type.defaultNormalization }
    public var installHint: String { type.installHint }

    public static func == (left: DatasetName, right: DatasetName) -> Bool { left.rawValue == right.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public init(from decoder: Decoder) throws {
        self = try DatasetName.parse(try decoder.singleValueContainer().decode(String.self))
    }
}

/// Per-channel normalisation applied to pixels scaled to [0, 1]: (pixel - mean) / std.
public struct Normalization: Sendable, Codable, Equatable {
    public var mean: [Float]
    public var std: [Float]

    public init(mean: [Float], std: [Float]) {
        self.mean = mean
        self.std = std
    }

    /// The mean and standard deviation of `channel`; with fewer entries than channels the last is reused, and
    /// without any the value stays as is (mean 0, std 1).
    public func parameters(ofChannel channel: Int) -> (mean: Float, std: Float) {
        (mean.isEmpty ? 0 : mean[min(channel, mean.count - 1)], std.isEmpty ? 1 : std[min(channel, std.count - 1)])
    }
}

/// One split of a dataset, kept as bytes: images are count x channels x height x width (NCHW).
public struct DatasetSplit: Sendable {
    public let images: [UInt8]
    public let labels: [UInt8]
    public let count, channels, height, width: Int

    /// The image count is the label count; throws if the image bytes do not match it.
    public init(images: [UInt8], labels: [UInt8], channels: Int, height: Int, width: Int) throws {
        guard channels > 0, height > 0, width > 0, images.count == labels.count * channels * height * width else {
            throw ZooError("\(images.count) image bytes do not make \(labels.count) images of \(channels)x\(height)x\(width)")
        }
        self.init(matching: images, labels: labels, channels: channels, height: height, width: width)
    }

    /// For callers whose image bytes match the labels by construction.
    init(matching images: [UInt8], labels: [UInt8], channels: Int, height: Int, width: Int) {
        self.images = images
        self.labels = labels
        self.count = labels.count
        self.channels = channels
        self.height = height
        self.width = width
    }
}

/// What a config's `dataset:` or `--dataset` names: a registered dataset, or a folder of images.
public enum DatasetSource: Sendable, Equatable {
    case builtIn(DatasetName)
    case folder(ImageFolderSettings)

    /// `mnist`, or `folder` (the checkpoint's `dataset` value for a folder).
    public var name: String {
        switch self {
        case .builtIn(let name): return name.rawValue
        case .folder: return "folder"
        }
    }

    /// As shown to the user: the name, or the folder's path.
    public var shown: String {
        switch self {
        case .builtIn(let name): return name.rawValue
        case .folder(let settings): return settings.path
        }
    }

    /// `--dataset TEXT`: an existing folder is a folder dataset, anything else a registered name.
    public static func parse(_ text: String) throws -> DatasetSource {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: text, isDirectory: &isFolder), isFolder.boolValue {
            return .folder(ImageFolderSettings(path: text))
        }
        return .builtIn(try DatasetName.parse(text))
    }
}

public struct Dataset: Sendable {
    public let source: DatasetSource
    public let train: DatasetSplit
    public let test: DatasetSplit
    public let classNames: [String]
    /// The folder the dataset was read from.
    public let location: String
    public var defaultNormalization: Normalization
}

extension DatasetSplit {
    /// Random images and labels, for benchmarks and smoke tests without real data; the same for the same seed.
    public static func random(count: Int, channels: Int, height: Int, width: Int, classCount: Int, seed: UInt64) -> DatasetSplit {
        let (count, channels, height, width) = (max(count, 0), max(channels, 1), max(height, 1), max(width, 1))
        var generator = SeededRandom(keys: seed)
        var images = [UInt8](repeating: 0, count: count * channels * height * width)
        images.withUnsafeMutableBytes { bytes in
            for start in stride(from: 0, to: bytes.count, by: 8) {
                let value = generator.next()
                for offset in 0 ..< min(8, bytes.count - start) { bytes[start + offset] = UInt8(truncatingIfNeeded: value >> (8 * offset)) }
            }
        }
        let labels = (0 ..< count).map { _ in UInt8(generator.below(max(classCount, 1))) }
        return DatasetSplit(matching: images, labels: labels, channels: channels, height: height, width: width)
    }
}
