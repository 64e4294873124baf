import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ZooFoundation

/// Where a dataset is downloaded from: a mirror and its files.
public struct DatasetDownload: Sendable {
    public let mirror: String
    public let files: [RemoteFile]

    public init(mirror: String, files: [RemoteFile]) {
        self.mirror = mirror
        self.files = files
    }
}

/// A file on a mirror and the SHA-256 it must have.
public struct RemoteFile: Sendable {
    public let name: String
    public let sha256: String
    /// The checksum is of the gunzipped content. MNIST's .gz files circulate recompressed (different
    /// bytes, same images), so their checksums are taken over what is inside.
    var checksumIsOfContent = false
    /// A .tar.gz to unpack into the dataset folder, then delete.
    var isArchive = false

    public init(name: String, sha256: String, checksumIsOfContent: Bool = false, isArchive: Bool = false) {
        self.name = name
        self.sha256 = sha256
        self.checksumIsOfContent = checksumIsOfContent
        self.isArchive = isArchive
    }
}

/// Downloads datasets from their public mirrors, checking each file before it is put in place.
public enum DatasetFetcher {
    /// The usual mirror and files; nil where no checksum is known (CIFAR-100).
    static func source(for name: DatasetName) -> DatasetDownload? { name.type.download }

    /// Fetches `name` into DATA_DIR/<dataset>/ (DATA_DIR: `dataDirectory`, else $ZOO_DATA, else ./data)
    /// and returns that folder. Files already present with the right checksum are kept.
    public static func fetch(_ name: DatasetName, dataDirectory: String?, mirror: String?,
                             log: (String) -> Void = { print($0) }) throws -> String {
        guard let source = source(for: name) else {
            throw ZooError("no checksum is known for \(name.rawValue), so zoo does not download it", hint: name.installHint)
        }
        let folder = "\(DatasetCatalog.dataDirectories(dataDirectory)[0])/\(name.folderName)"
        if let found = try? DatasetCatalog.locate(name, dataDirectory: dataDirectory), found.folder.hasPrefix(folder) {
            log("\(name.rawValue) is already in \(found.folder)")
            return found.folder
        }
        try fetch(source.files, mirror: mirror ?? source.mirror, into: folder, log: log)
        return folder
    }

    static func fetch(_ files: [RemoteFile], mirror: String, into folder: String, log: (String) -> Void) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ZooError("cannot create the folder", place: folder, hint: "choose a writable --data-dir")
        }
        let base = mirror.hasSuffix("/") ? mirror : mirror + "/"
        for file in files {
            let destination = "\(folder)/\(file.name)"
            if !file.isArchive, FileManager.default.fileExists(atPath: destination), (try? checksum(of: destination, file)) == file.sha256 {
                log("\(destination) is already present and checks out")
                continue
            }
            guard let url = URL(string: base + file.name) else {
                throw ZooError("'\(base + file.name)' is not a URL", hint: "pass --mirror as http(s)://host/folder/")
            }
            log("downloading \(url.absoluteString)")
            let temporary = "\(folder)/.\(file.name).download-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: temporary) }
            try download(url, to: temporary)
            let actual = try checksum(of: temporary, file)
            guard actual == file.sha256 else {
                throw ZooError("SHA-256 mismatch: expected \(file.sha256), got \(actual)", place: url.absoluteString,
                               hint: "the mirror served a different file; try again later or another --mirror")
            }
            if file.isArchive {
                try unpack(temporary, into: folder)
            } else {
                try moveIntoPlace(temporary, destination)
            }
            log("saved \(file.isArchive ? "the contents of \(file.name) in \(folder)" : destination)")
        }
    }

    private static func checksum(of path: String, _ file: RemoteFile) throws -> String {
        guard file.checksumIsOfContent else { return try SHA256.hex(ofFile: path) }
        return SHA256.hex(of: try Gzip.contents(of: path))
    }

    /// rename(2) replaces atomically within one filesystem; the temporary file sits beside the target for that.
    private static func moveIntoPlace(_ source: String, _ destination: String) throws {
        guard rename(source, destination) == 0 else {
            throw ZooError("cannot move the download into place", place: destination, hint: "check the folder is writable")
        }
    }

    /// Unpacks a .tar.gz into a hidden folder beside `folder`'s contents, then moves each top-level entry in.
    private static func unpack(_ archive: String, into folder: String) throws {
        let staging = "\(folder)/.unpack-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try? FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        try Tar.extract(Gzip.contents(of: archive), path: archive, into: staging)
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: staging)) ?? [] {
            let destination = "\(folder)/\(entry)"
            try? FileManager.default.removeItem(atPath: destination)
            try moveIntoPlace("\(staging)/\(entry)", destination)
        }
    }

    /// Downloads `url` to `path`, failing (rather than hanging) on network errors and non-200 answers.
    static func download(_ url: URL, to path: String) throws {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        // The transfer's failure, handed from URLSession's queue to the waiting caller.
        let outcome = Locked<ZooError?>(nil)
        let done = DispatchSemaphore(value: 0)
        let hint = "check the network connection and the mirror address (--mirror URL)"
        let task = session.downloadTask(with: url) { location, response, error in
            defer { done.signal() }
            let failure: ZooError?
            if let error {
                failure = ZooError("download failed: \(error.localizedDescription)", place: url.absoluteString, hint: hint)
            } else if let status = (response as? HTTPURLResponse)?.statusCode, status != 200 {
                failure = ZooError("server answered HTTP \(status)", place: url.absoluteString, hint: hint)
            } else if let location {
                do {
                    try FileManager.default.moveItem(at: location, to: URL(fileURLWithPath: path))
                    failure = nil
                } catch {
                    failure = ZooError("cannot save the download", place: path, hint: "check the folder is writable")
                }
            } else {
                failure = ZooError("download produced no file", place: url.absoluteString, hint: hint)
            }
            outcome.withLock { $0 = failure }
        }
        task.resume()
        done.wait()
        if let error = outcome.withLock({ $0 }) { throw error }
    }
}
