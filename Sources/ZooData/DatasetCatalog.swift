import Foundation
import ZooFoundation

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
        (dataDirectories(dataDirectory).map { "\($0)/\(name.folderName)" } + name.type.systemFolders).flatMap(name.type.searchFolders)
    }

    public static func load(_ name: DatasetName, dataDirectory: String?) throws -> Dataset {
        let (folder, paths) = try locate(name, dataDirectory: dataDirectory)
        let (train, test, classNames) = try name.type.load(paths, folder: folder)
        return Dataset(source: .builtIn(name), train: train, test: test, classNames: classNames ?? name.defaultClassNames, location: folder,
                       defaultNormalization: name.defaultNormalization)
    }

    /// A registered dataset from its files, or a folder of images (warnings about skipped files go to `warn`).
    public static func load(_ source: DatasetSource, dataDirectory: String?, warn: @escaping (String) -> Void) throws -> Dataset {
        switch source {
        case .builtIn(let name): return try load(name, dataDirectory: dataDirectory)
        case .folder(let settings): return try ImageFolder.load(settings, warn: warn)
        }
    }

    /// The images' shape before transforms and the number of classes: a registered dataset's without reading a
    /// file, a folder's from its images, which are returned too so that they are read once.
    public static func inputDescription(_ source: DatasetSource, dataDirectory: String?, warn: @escaping (String) -> Void) throws
        -> (images: ImageShape, classCount: Int, loaded: Dataset?) {
        switch source {
        case .builtIn(let name):
            return (ImageShape(channels: name.channels, height: name.height, width: name.width), name.classCount, nil)
        case .folder:
            let data = try load(source, dataDirectory: dataDirectory, warn: warn)
            return (ImageShape(channels: data.train.channels, height: data.train.height, width: data.train.width), data.classNames.count, data)
        }
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
                let counts = try name.type.counts(paths)
                return summary(location: folder, counts: (counts.train, counts.test), problem: nil)
            } catch {
                return summary(location: folder, counts: nil, problem: "\(error)")
            }
        } catch {
            return summary(location: nil, counts: nil, problem: "\(error)")
        }
    }

    /// The first folder holding all of the dataset's files, and their paths in `requiredFiles` order.
    static func locate(_ name: DatasetName, dataDirectory: String?) throws -> (folder: String, paths: [String]) {
        let folders = searchFolders(for: name, dataDirectory: dataDirectory)
        let required = name.type.requiredFiles
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
}
