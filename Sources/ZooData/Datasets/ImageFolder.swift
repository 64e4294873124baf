import Dispatch
import Foundation
import ZooFoundation

/// `dataset: {name: folder, path: PATH, size: [H, W], channels: 1|3, test_fraction: 0.2}`: a folder of PNG and
/// JPEG images laid out as torchvision's ImageFolder. Resolved (size and channels as found) it is stored in
/// checkpoints, so `zoo eval` and `zoo predict` preprocess as training did.
public struct ImageFolderSettings: Sendable, Equatable, Codable {
    public var path: String
    /// [height, width]; nil: every image must already have one size.
    public var size: [Int]?
    /// 1 or 3; nil: 1 when every image is gray, else 3.
    public var channels: Int?
    /// Held out per class when the folder has no test/ (or val/) split.
    public var testFraction: Double

    public static let defaultTestFraction = 0.2

    public init(path: String, size: [Int]? = nil, channels: Int? = nil, testFraction: Double = defaultTestFraction) {
        (self.path, self.size, self.channels, self.testFraction) = (path, size, channels, testFraction)
    }

    enum CodingKeys: String, CodingKey {
        case path, size, channels, testFraction = "test_fraction"
    }
}

/// A folder read into memory: its splits, classes, the settings with size and channels filled in, and what was skipped.
public enum ImageFolder {
    /// Labels are bytes, as in every zoo dataset.
    public static let maximumClasses = 256
    /// Larger files are not images a small network trains on.
    static let maximumFileBytes = 256 << 20
    /// Fixed, so every run and `zoo eval` hold out the same images.
    static let splitSeed: UInt64 = 0x5EED

    struct Entry {
        let path: RawPath
        let label: Int
        let isTest: Bool
    }

    /// Reads and decodes every image on all cores. Damaged files (unreadable, truncated, corrupt, not PNG or JPEG
    /// inside, empty, absurd declared size) are skipped, each with a warning through `warn`; a class left with no
    /// images, fewer than two classes, or a test class unknown to training is an error.
    public static func load(_ settings: ImageFolderSettings, warn: @escaping (String) -> Void) throws -> Dataset {
        let root = RawPath(settings.path)
        guard root.isDirectory else {
            throw ZooError("is not a folder", place: settings.path, hint: "pass a folder holding one subfolder of images per class (or train/ and test/)")
        }
        let (classNames, entries) = try index(root, settings: settings, warn: warn)
        let images = decode(entries.map(\.path), size: settings.size, warn: warn)
        var kept: [(entry: Entry, image: DecodedImage)] = []
        for (entry, image) in zip(entries, images) {
            if let image { kept.append((entry, image)) }
        }
        let readable = Set(kept.map(\.entry.label))
        for (label, name) in classNames.enumerated() where !readable.contains(label) {
            throw ZooError("the class `\(name)` has no readable images", place: settings.path,
                           hint: "add PNG or JPEG images to its folder, or remove the folder")
        }
        let channels = settings.channels ?? (kept.allSatisfy { $0.image.channels == 1 } ? 1 : 3)
        let (height, width) = try commonSize(kept.map { ($0.entry.path, $0.image) }, settings: settings)
        var resolved = settings
        (resolved.size, resolved.channels) = ([height, width], channels)
        let imageBytes = channels * height * width
        let (total, overflow) = imageBytes.multipliedReportingOverflow(by: kept.count)
        let available = MemoryBudget.limitBytes - MemoryBudget.reservedBytes
        guard !overflow, total <= available else {
            throw ZooError("\(grouped(kept.count)) images of \(channels)x\(height)x\(width) take \(byteSize(total)) in memory, "
                           + "more than the \(byteSize(available)) left of the memory budget", place: settings.path,
                           hint: "pass a smaller `size`, use fewer images, or raise the budget with --max-memory")
        }
        func split(test: Bool) throws -> DatasetSplit {
            let chosen = kept.filter { $0.entry.isTest == test }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(chosen.count * imageBytes)
            for (_, image) in chosen { bytes += image.converted(toChannels: channels).planar }
            return try DatasetSplit(images: bytes, labels: chosen.map { UInt8($0.entry.label) }, channels: channels, height: height, width: width)
        }
        let train = try split(test: false)
        let test = try split(test: true)
        return Dataset(source: .folder(resolved), train: train, test: test, classNames: classNames, location: settings.path,
                       defaultNormalization: normalization(of: train))
    }

    /// Class names and the files of each split, before anything is decoded.
    static func index(_ root: RawPath, settings: ImageFolderSettings, warn: (String) -> Void) throws -> (classNames: [String], entries: [Entry]) {
        let trainFolder = root.appending(Array("train".utf8))
        let testFolder = ["test", "val"].map { root.appending(Array($0.utf8)) }.first(where: \.isDirectory)
        let splitFolders = trainFolder.isDirectory
        let classFolders = try FolderWalk.subfolders(of: splitFolders ? trainFolder : root)
        let classNames = try classFolders.map { folder in
            guard let name = String(validatingCString: folder.name.map { CChar(bitPattern: $0) } + [0]) else {
                throw ZooError("the class folder's name is not UTF-8", place: folder.path.shown,
                               hint: "rename the folder: its name becomes the class name stored in checkpoints")
            }
            return name
        }
        guard classNames.count >= 2 else {
            throw ZooError(classNames.isEmpty ? "holds no class folders" : "holds only one class folder (`\(classNames[0])`); a classifier needs at least two",
                           place: splitFolders ? trainFolder.shown : settings.path,
                           hint: "put each class's images in a folder of its own under \(splitFolders ? "train/" : "the dataset folder"), named after the class")
        }
        guard classNames.count <= maximumClasses else {
            throw ZooError("holds \(classNames.count) class folders; zoo takes at most \(maximumClasses)", place: settings.path,
                           hint: "merge classes or split the dataset")
        }
        var entries: [Entry] = []
        for (label, folder) in classFolders.enumerated() {
            let files = try FolderWalk.imageFiles(under: folder.path, warn: warn)
            guard !files.isEmpty else {
                throw ZooError("the class folder holds no PNG or JPEG images", place: folder.path.shown,
                               hint: "add images (.png, .jpg, .jpeg) to it, or remove the folder")
            }
            if splitFolders {
                entries += files.map { Entry(path: $0, label: label, isTest: false) }
            } else {
                // A seeded per-class hold-out, as torch's random_split would draw it once for every run.
                var generator = SeededRandom(keys: splitSeed, UInt64(label))
                let order = generator.permutation(of: files.count)
                let testCount = Int((Double(files.count) * settings.testFraction).rounded())
                let held = Set(order.prefix(testCount).map(Int.init))
                entries += files.enumerated().map { Entry(path: $1, label: label, isTest: held.contains($0)) }
            }
        }
        if splitFolders, let testFolder {
            for folder in try FolderWalk.subfolders(of: testFolder) {
                guard let label = classFolders.firstIndex(where: { $0.name == folder.name }) else {
                    throw ZooError("the test class `\(folder.path.lastComponent.shownName)` is not a training class", place: folder.path.shown,
                                   hint: "training classes: \(classNames.joined(separator: ", ")); rename or remove the folder")
                }
                entries += try FolderWalk.imageFiles(under: folder.path, warn: warn).map { Entry(path: $0, label: label, isTest: true) }
            }
        }
        return (classNames, entries)
    }

    /// Every file read and decoded (and resized to `size`) on all cores; nil for a file skipped with a warning.
    public static func decode(_ paths: [RawPath], size: [Int]?, warn: (String) -> Void) -> [DecodedImage?] {
        let results = Locked([Result<DecodedImage, ZooError>?](repeating: nil, count: paths.count))
        let chunk = 32
        DispatchQueue.concurrentPerform(iterations: (paths.count + chunk - 1) / chunk) { part in
            for index in part * chunk ..< min(paths.count, (part + 1) * chunk) {
                let result = Result { try decodeFile(paths[index], size: size) }.mapError { $0 as? ZooError ?? ZooError("\($0)") }
                results.withLock { $0[index] = result }
            }
        }
        return results.withLock { $0 }.map { result in
            switch result {
            case .success(let image): return image
            case .failure(let error): warn("\(error.place ?? ""): skipped: \(error.message)"); return nil
            case nil: return nil
            }
        }
    }

    public static func decodeFile(_ path: RawPath, size: [Int]?) throws -> DecodedImage {
        let image = try ImageDecoder.decode(try path.read(maximumBytes: maximumFileBytes), file: path.shown)
        guard let size else { return image }
        return image.resized(height: size[0], width: size[1])
    }

    /// Without `size`, every image must have the first one's; the error names a few that differ.
    static func commonSize(_ images: [(path: RawPath, image: DecodedImage)], settings: ImageFolderSettings) throws -> (Int, Int) {
        if let size = settings.size { return (size[0], size[1]) }
        guard let first = images.first else { return (1, 1) }
        let differing = images.filter { $0.image.height != first.image.height || $0.image.width != first.image.width }
        guard differing.isEmpty else {
            let examples = differing.prefix(3).map { "\($0.path.shown) is \($0.image.width)x\($0.image.height)" }
            throw ZooError("images differ in size: \(first.path.shown) is \(first.image.width)x\(first.image.height), "
                           + examples.joined(separator: ", ") + (differing.count > 3 ? " and \(differing.count - 3) more differ" : ""),
                           place: settings.path, hint: "set `size: [HEIGHT, WIDTH]` in the dataset section to resize every image")
        }
        return (first.image.height, first.image.width)
    }

    /// Per-channel mean and (population) standard deviation of the training pixels in [0, 1].
    static func normalization(of split: DatasetSplit) -> Normalization {
        let plane = split.height * split.width
        var sums = [Int64](repeating: 0, count: split.channels), squares = sums
        split.images.withUnsafeBufferPointer { images in
            for image in 0..<split.count {
                for channel in 0..<split.channels {
                    let start = (image * split.channels + channel) * plane
                    var sum: Int64 = 0, square: Int64 = 0
                    for value in images[start ..< start + plane] { sum += Int64(value); square += Int64(value) * Int64(value) }
                    sums[channel] += sum
                    squares[channel] += square
                }
            }
        }
        let count = Double(max(split.count * plane, 1))
        let means = sums.map { Double($0) / count / 255 }
        let deviations = zip(squares, means).map { max(Double($0) / count / 65025 - $1 * $1, 0).squareRoot() }
        // A constant channel would divide by zero.
        return Normalization(mean: means.map(Float.init), std: deviations.map { Float(max($0, 1e-3)) })
    }
}

extension Array where Element == UInt8 {
    var shownName: String { String(decoding: self, as: UTF8.self) }
}
