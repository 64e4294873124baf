import Foundation
import ZooFoundation

/// Trained weights by name: `MODEL@DATASET` (`lenet@mnist`) is `weights/MODEL_DATASET.safetensors`, a plain zoo
/// checkpoint listed in `weights/manifest.json` with its SHA-256, which is checked before the file is used.
/// The folder is the first of $ZOO_WEIGHTS, ./weights, and a `weights` folder up to three levels above the
/// executable (the repository's, for .build/release/zoo) that holds a manifest.
public struct WeightsCatalog {
    /// One manifest entry; the figures besides `file` and `sha256` are for people and `zoo list`.
    public struct Entry: Codable, Equatable, Sendable {
        public var file: String
        public var sha256: String
        public var testAccuracy: Double?

        enum CodingKeys: String, CodingKey {
            case file, sha256
            case testAccuracy = "test_accuracy"
        }
    }

    public static let manifestName = "manifest.json"
    public let folder: String
    /// Keyed by `MODEL@DATASET`.
    public let entries: [String: Entry]

    /// True for `MODEL@DATASET` written with letters, digits, `.`, `_` and `-`, unless a file of that name exists.
    public static func isName(_ argument: String) -> Bool {
        let parts = argument.split(separator: "@", omittingEmptySubsequences: false)
        let allowed = { (character: Character) in character.isASCII && (character.isLetter || character.isNumber || "._-".contains(character)) }
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(allowed) } && !FileManager.default.fileExists(atPath: argument)
    }

    /// The folders looked in, in order.
    public static func searchFolders(environment: [String: String] = ProcessInfo.processInfo.environment,
                                     executable: String? = executablePath()) -> [String] {
        var folders: [String] = []
        if let variable = environment["ZOO_WEIGHTS"], !variable.isEmpty { folders.append(variable) }
        return folders + ["weights"] + foldersAboveExecutable(named: "weights", executable: executable)
    }

    /// `name` in each of the three folders above the executable's: the repository's folder of that name
    /// for .build/release/zoo (which is .build/x86_64-unknown-linux-gnu/release/zoo, links followed).
    public static func foldersAboveExecutable(named name: String, executable: String? = executablePath()) -> [String] {
        guard let executable else { return [] }
        var folder = URL(fileURLWithPath: executable).deletingLastPathComponent()
        return (1...3).map { _ in
            folder = folder.deletingLastPathComponent()
            return folder.appendingPathComponent(name).path
        }
    }

    /// The first search folder with a manifest.
    public static func locate(searching folders: [String] = searchFolders()) throws -> WeightsCatalog {
        guard let folder = folders.first(where: { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent(manifestName)) }) else {
            throw ZooError("no weights folder with a \(manifestName) was found; looked in \(folders.joined(separator: ", "))",
                           hint: "set ZOO_WEIGHTS to the zoo repository's weights folder, or run zoo from the repository")
        }
        return try WeightsCatalog(folder: folder)
    }

    public init(folder: String) throws {
        self.folder = folder
        let manifest = (folder as NSString).appendingPathComponent(Self.manifestName)
        guard let data = FileManager.default.contents(atPath: manifest) else { throw ZooError.unreadable(manifest) }
        do {
            entries = try JSONDecoder().decode([String: Entry].self, from: data)
        } catch {
            throw ZooError("the weights manifest is not a JSON object of {\"file\", \"sha256\"} entries keyed by MODEL@DATASET", place: manifest,
                           hint: "restore it from the repository (git checkout \(manifest)), or regenerate it with scripts/results.py --weights")
        }
    }

    /// The file `name` stands for, once its SHA-256 matches the manifest's.
    public func path(for name: String) throws -> String {
        let manifest = (folder as NSString).appendingPathComponent(Self.manifestName)
        guard let entry = entries[name] else {
            let known = entries.keys.sorted()
            throw ZooError("no shipped weights are called `\(name)`", place: manifest,
                           hint: (nearest(to: name, in: known).map { "did you mean `\($0)`? " } ?? "")
                               + "the manifest lists " + (known.isEmpty ? "none" : known.joined(separator: ", ")))
        }
        guard !entry.file.contains("/"), !entry.file.hasPrefix(".") else {
            throw ZooError("the entry `\(name)` names the file `\(entry.file)`, which is not a plain file name in the weights folder", place: manifest,
                           hint: "the manifest was damaged or edited; restore it from the repository")
        }
        let path = (folder as NSString).appendingPathComponent(entry.file)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ZooError("the weights file for `\(name)` is missing", place: path,
                           hint: "restore it from the repository (git checkout \(path)), or regenerate it with scripts/results.py --weights")
        }
        let digest = try SHA256.hex(ofFile: path)
        guard digest == entry.sha256.lowercased() else {
            throw ZooError("the weights file for `\(name)` has SHA-256 \(digest), not the \(entry.sha256) that \(manifest) records, "
                           + "so it was damaged or altered since it was shipped and is not loaded", place: path,
                           hint: "restore it from the repository (git checkout \(path)); if you replaced it on purpose, update its digest in the manifest")
        }
        return path
    }

    /// This process's executable, symbolic links followed (Linux), else as it was invoked.
    public static func executablePath() -> String? {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return Bundle.main.executablePath
    }
}
