import Foundation
import ZooCore

/// Where a dataset was found, or why not, read from file headers and sizes only.
public struct DatasetSummary: Codable, Sendable {
    public let name: String
    public let location: String?
    public let trainCount: Int?
    public let testCount: Int?
    public let channels, height, width: Int
    /// Every folder looked in, in order.
    public let searched: [String]
    public let problem: String?
}

/// Finds datasets on disk and reads them.
public enum DatasetCatalog {
    /// Data directories in priority order: the explicit one, then $ZOO_DATA, then ./data.
    public static func dataDirectories(_ dataDirectory: String?) -> [String] {
        var directories = [String]()
        if let dataDirectory { directories.append(dataDirectory) }
        if let environment = ProcessInfo.processInfo.environment["ZOO_DATA"], !environment.isEmpty {
            directories.append(environment)
        }
        directories.append("data")
        return directories
    }

    /// Folders that may hold the dataset's files directly, in search order.
    public static func searchFolders(for name: DatasetName, dataDirectory: String?) -> [String] {
        var folders = dataDirectories(dataDirectory).map { "\($0)/\(name.folderName)" }
        if name == .fashionMNIST { folders.append("/usr/share/datasets/fashion-mnist") }
        guard let format = cifarFormat(name) else { return folders }
        // The official archive unpacks into its own folder; accept the files inside it or moved up.
        return folders.flatMap { ["\($0)/\(format.archiveFolder)", $0] }
    }

    public static func load(_ name: DatasetName, dataDirectory: String?) throws -> Dataset {
        let (folder, paths) = try locate(name, dataDirectory: dataDirectory)
        let train: DatasetSplit, test: DatasetSplit
        var classNames = name.defaultClassNames
        if let format = cifarFormat(name) {
            let trainCount = format.trainFiles.count
            train = try format.read(Array(paths[..<trainCount]))
            test = try format.read(Array(paths[trainCount...]))
            let namesPath = "\(folder)/\(format.namesFile)"
            if FileManager.default.fileExists(atPath: namesPath) { classNames = try format.classNames(namesPath) }
        } else {
            train = try readIDX(images: paths[0], labels: paths[1], name: name)
            test = try readIDX(images: paths[2], labels: paths[3], name: name)
        }
        return Dataset(name: name, train: train, test: test, classNames: classNames, location: folder,
                       defaultNormalization: name.defaultNormalization)
    }

    /// The image shape the loader produces after `transforms`, without reading any file.
    public static func outputShape(of name: DatasetName, transforms: [Transform]) -> (channels: Int, height: Int, width: Int) {
        let shape = ImageShape(channels: name.channels, height: name.height, width: name.width).after(transforms)
        return (shape.channels, shape.height, shape.width)
    }

    public static func summary(_ name: DatasetName, dataDirectory: String?) -> DatasetSummary {
        let searched = searchFolders(for: name, dataDirectory: dataDirectory)
        func summary(location: String?, counts: (Int, Int)?, problem: String?) -> DatasetSummary {
            DatasetSummary(name: name.rawValue, location: location, trainCount: counts?.0, testCount: counts?.1,
                           channels: name.channels, height: name.height, width: name.width, searched: searched,
                           problem: problem)
        }
        do {
            let (folder, paths) = try locate(name, dataDirectory: dataDirectory)
            do {
                if let format = cifarFormat(name) {
                    let counts = try paths.map(format.recordCount)
                    let trainCount = format.trainFiles.count
                    return summary(location: folder, counts: (counts[..<trainCount].reduce(0, +), counts[trainCount...].reduce(0, +)),
                                   problem: nil)
                }
                let train = try IDXFile.readDimensions(paths[0], dimensionCount: 3)[0]
                let test = try IDXFile.readDimensions(paths[2], dimensionCount: 3)[0]
                return summary(location: folder, counts: (train, test), problem: nil)
            } catch {
                return summary(location: folder, counts: nil, problem: "\(error)")
            }
        } catch {
            return summary(location: nil, counts: nil, problem: "\(error)")
        }
    }

    static func cifarFormat(_ name: DatasetName) -> CIFARFormat? {
        switch name {
        case .cifar10: return .cifar10
        case .cifar100: return .cifar100
        case .mnist, .fashionMNIST: return nil
        }
    }

    /// Each file the dataset needs, as its accepted spellings. MNIST circulates both as
    /// `train-images-idx3-ubyte` and `train-images.idx3-ubyte`, gzipped or not.
    static func requiredFiles(_ name: DatasetName) -> [[String]] {
        if let format = cifarFormat(name) { return (format.trainFiles + format.testFiles).map { [$0] } }
        return ["train-images-idx3", "train-labels-idx1", "t10k-images-idx3", "t10k-labels-idx1"].map { stem in
            let dotted = stem.replacingOccurrences(of: "-idx", with: ".idx")
            return ["\(stem)-ubyte.gz", "\(stem)-ubyte", "\(dotted)-ubyte", "\(dotted)-ubyte.gz"]
        }
    }

    /// The first folder holding all of the dataset's files, and their paths in `requiredFiles` order.
    static func locate(_ name: DatasetName, dataDirectory: String?) throws -> (folder: String, paths: [String]) {
        let folders = searchFolders(for: name, dataDirectory: dataDirectory)
        let required = requiredFiles(name)
        var incomplete: (folder: String, missing: String)?
        for folder in folders {
            let paths = required.map { spellings in
                spellings.lazy.map { "\(folder)/\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
            }
            let found = paths.compactMap { $0 }
            if found.count == required.count { return (folder, found) }
            if incomplete == nil, !found.isEmpty, let missing = zip(paths, required).first(where: { $0.0 == nil }) {
                incomplete = (folder, missing.1[0])
            }
        }
        if let incomplete {
            throw ZooError("\(name.rawValue) is incomplete: \(incomplete.missing) is missing", place: incomplete.folder,
                           hint: "restore the missing file, or \(name.installHint)")
        }
        throw ZooError("\(name.rawValue) not found; looked in: \(folders.joined(separator: ", "))",
                       hint: "\(name.installHint), or pass --data-dir (or set ZOO_DATA) to where it is")
    }

    private static func readIDX(images: String, labels: String, name: DatasetName) throws -> DatasetSplit {
        let imageFile = try IDXFile.read(images, dimensionCount: 3)
        guard imageFile.dimensions[1] == name.height, imageFile.dimensions[2] == name.width else {
            throw ZooError("images are \(imageFile.dimensions[1])x\(imageFile.dimensions[2]), expected \(name.height)x\(name.width)",
                           place: "\(images) at byte 8", hint: IDXFile.hint)
        }
        let labelFile = try IDXFile.read(labels, dimensionCount: 1)
        guard labelFile.dimensions[0] == imageFile.dimensions[0] else {
            throw ZooError("holds \(labelFile.dimensions[0]) labels but \(images) holds \(imageFile.dimensions[0]) images",
                           place: "\(labels) at byte 4", hint: "the two files come from different downloads; fetch the dataset again")
        }
        if let index = labelFile.values.firstIndex(where: { Int($0) >= name.classCount }) {
            throw ZooError("label \(labelFile.values[index]) is out of range 0...\(name.classCount - 1)",
                           place: "\(labels) at byte \(8 + index)", hint: IDXFile.hint)
        }
        return try DatasetSplit(images: imageFile.values, labels: labelFile.values, channels: 1, height: name.height,
                                width: name.width)
    }
}
