import ZooCore

public enum DatasetName: String, CaseIterable, Sendable, Codable {
    case mnist, fashionMNIST = "fashion-mnist", cifar10, cifar100

    /// Parses a name as typed on the command line or in a config; `fashion_mnist` and `CIFAR-10` are accepted too.
    public static func parse(_ text: String) throws -> DatasetName {
        func folded(_ name: String) -> String { name.lowercased().filter { $0 != "-" && $0 != "_" } }
        if let name = allCases.first(where: { folded($0.rawValue) == folded(text) }) { return name }
        let names = allCases.map(\.rawValue)
        let known = "known datasets: " + names.joined(separator: ", ")
        throw ZooError("unknown dataset `\(text)`", hint: nearest(to: text, in: names).map { "did you mean `\($0)`? \(known)" } ?? known)
    }

    /// The folder the dataset lives in under a data directory.
    public var folderName: String { rawValue }

    public var channels: Int { isCIFAR ? 3 : 1 }
    public var height: Int { isCIFAR ? 32 : 28 }
    public var width: Int { height }

    var isCIFAR: Bool { self == .cifar10 || self == .cifar100 }

    public var classCount: Int { self == .cifar100 ? 100 : 10 }

    /// Names used when the data folder brings none of its own (CIFAR's batches.meta.txt overrides these).
    public var defaultClassNames: [String] {
        switch self {
        case .mnist: return (0 ..< 10).map(String.init)
        case .fashionMNIST:
            return ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        case .cifar10: return ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
        case .cifar100: return (0 ..< 100).map { "class \($0)" }
        }
    }

    /// The mean and standard deviation of the training pixels in [0, 1], as commonly quoted.
    public var defaultNormalization: Normalization {
        switch self {
        case .mnist: return Normalization(mean: [0.1307], std: [0.3081])
        case .fashionMNIST: return Normalization(mean: [0.2860], std: [0.3530])
        case .cifar10: return Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
        case .cifar100: return Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])
        }
    }

    /// What a user runs to get the data.
    public var installHint: String {
        switch self {
        case .mnist: return "run `zoo data fetch mnist`"
        case .fashionMNIST: return "run `apt-get install dataset-fashion-mnist` or `zoo data fetch fashion-mnist`"
        case .cifar10: return "run `zoo data fetch cifar10`"
        case .cifar100:
            return "download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz and unpack it into DATA_DIR/cifar100/"
        }
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

public struct Dataset: Sendable {
    public let name: DatasetName
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
