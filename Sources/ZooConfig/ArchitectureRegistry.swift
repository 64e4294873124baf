import Foundation
import ZooCore

/// Where an architecture file was found.
public enum ArchitectureOrigin: Sendable, Equatable, CustomStringConvertible {
    /// Compiled into the binary from the repository's `zoo/` folder.
    case builtIn
    /// `./zoo` in the working directory.
    case workingDirectory(String)
    /// A folder listed in `ZOO_PATH`.
    case zooPath(String)
    /// A path given on the command line.
    case file(String)

    public var description: String {
        switch self {
        case .builtIn: return "built-in"
        case .workingDirectory: return "./zoo"
        case .zooPath(let folder): return "ZOO_PATH \(folder)"
        case .file(let path): return path
        }
    }
}

/// One architecture file the registry found; `result` holds the parsed architecture or the error.
public struct ArchitectureEntry {
    public let name: String
    public let origin: ArchitectureOrigin
    /// The path shown in messages (`zoo/lenet.yaml` for built-ins).
    public let path: String
    /// True if a user file overrides a built-in of the same name.
    public let overridesBuiltIn: Bool
    public let result: Result<Architecture, ZooError>
}

/// Finds architectures, plugin-style: every `*.yaml` in `./zoo/` and in each folder of `ZOO_PATH`
/// (colon-separated), then the built-ins. The first found wins, so user folders override built-ins.
/// An architecture's name is its file name without `.yaml`; dropping a file in a folder is all it takes.
public struct ArchitectureRegistry {
    public let workingDirectory: String
    public let zooPath: [String]

    public init(workingDirectory: String = FileManager.default.currentDirectoryPath,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.workingDirectory = workingDirectory
        zooPath = (environment["ZOO_PATH"] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
    }

    /// The folders searched, in order of precedence.
    public var folders: [(path: String, origin: ArchitectureOrigin)] {
        let local = (workingDirectory as NSString).appendingPathComponent("zoo")
        return [(local, .workingDirectory(local))] + zooPath.map { ($0, .zooPath($0)) }
    }

    /// A readable list of the places searched, for "not found" messages.
    public var searchDescription: String {
        (folders.map { "\($0.origin) (\($0.path))" } + ["the built-ins"]).joined(separator: ", ")
    }

    /// Every architecture found, one per name, sorted by name; broken files are included with their error.
    public func entries() -> [ArchitectureEntry] {
        var found: [String: ArchitectureEntry] = [:]
        let builtIns = Dictionary(BuiltInArchitectures.files.map { (($0.file as NSString).deletingPathExtension, $0.text) },
                                  uniquingKeysWith: { first, _ in first })
        for (folder, origin) in folders {
            for file in yamlFiles(in: folder) {
                let name = (file as NSString).deletingPathExtension
                guard found[name] == nil else { continue }
                let path = (folder as NSString).appendingPathComponent(file)
                let shown = origin == .workingDirectory(folder) ? "zoo/\(file)" : path
                // A copy identical to the built-in (e.g. the repository's own zoo/) does not count as overriding it.
                let overrides = builtIns[name].map { FileManager.default.contents(atPath: path) != Data($0.utf8) } ?? false
                found[name] = ArchitectureEntry(name: name, origin: origin, path: shown, overridesBuiltIn: overrides,
                                                result: Result { try ArchitectureRegistry.load(path: path, shown: shown, expectedName: name) }
                                                    .mapError { $0 as? ZooError ?? ZooError("\($0)", place: shown) })
            }
        }
        for (file, text) in BuiltInArchitectures.files {
            let name = (file as NSString).deletingPathExtension
            guard found[name] == nil else { continue }
            let shown = "zoo/\(file)"
            found[name] = ArchitectureEntry(name: name, origin: .builtIn, path: shown, overridesBuiltIn: false,
                                            result: Result { try Architecture.parse(text: text, file: shown) }
                                                .mapError { $0 as? ZooError ?? ZooError("\($0)", place: shown) })
        }
        return found.values.sorted { $0.name < $1.name }
    }

    /// An architecture by name (`lenet`) or by path (`my/net.yaml`, anything with `/` or a `.yaml` ending).
    public func architecture(named nameOrPath: String) throws -> Architecture {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") {
            return try Architecture.load(path: nameOrPath)
        }
        for (folder, origin) in folders {
            for file in yamlFiles(in: folder) where (file as NSString).deletingPathExtension == nameOrPath {
                let path = (folder as NSString).appendingPathComponent(file)
                return try ArchitectureRegistry.load(path: path, shown: origin == .workingDirectory(folder) ? "zoo/\(file)" : path,
                                                     expectedName: nameOrPath)
            }
        }
        if let builtIn = BuiltInArchitectures.files.first(where: { ($0.file as NSString).deletingPathExtension == nameOrPath }) {
            return try Architecture.parse(text: builtIn.text, file: "zoo/\(builtIn.file)")
        }
        let names = Set(folders.flatMap { yamlFiles(in: $0.path) }.map { ($0 as NSString).deletingPathExtension }
            + BuiltInArchitectures.files.map { ($0.file as NSString).deletingPathExtension }).sorted()
        throw ZooError("no architecture named `\(nameOrPath)`",
                       hint: (nearest(to: nameOrPath, in: names).map { "did you mean `\($0)`? " } ?? "known: \(names.joined(separator: ", ")). ")
                           + "Looked in \(searchDescription)")
    }

    private static func load(path: String, shown: String, expectedName: String) throws -> Architecture {
        let architecture = try Architecture.load(path: path, displayPath: shown)
        guard architecture.name == expectedName else {
            throw ZooError("the file declares `name: \(architecture.name)`, but its file name makes it `\(expectedName)`", place: shown,
                           hint: "rename the file to \(architecture.name).yaml or change `name:` to \(expectedName)")
        }
        return architecture
    }

    private func yamlFiles(in folder: String) -> [String] {
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return contents.filter { ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) && !$0.hasPrefix(".") }.sorted()
    }
}
