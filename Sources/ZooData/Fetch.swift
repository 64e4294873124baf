import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import ZooCore

/// A file on a mirror and the SHA-256 it must have.
struct RemoteFile: Sendable {
    let name: String
    let sha256: String
    /// The checksum is of the gunzipped content. MNIST's .gz files circulate recompressed (different
    /// bytes, same images), so their checksums are taken over what is inside.
    var checksumIsOfContent = false
    /// A .tar.gz to unpack into the dataset folder, then delete.
    var isArchive = false
}

/// Downloads datasets from their public mirrors, checking each file before it is put in place.
public enum DatasetFetcher {
    /// The usual mirror and files; nil where no checksum is known (CIFAR-100).
    static func source(for name: DatasetName) -> (mirror: String, files: [RemoteFile])? {
        // Content checksums computed from the distributed files (MNIST in /work/shared/datasets/mnist,
        // Fashion-MNIST from Debian's dataset-fashion-mnist); they match whichever gzip wrapped them.
        func idx(_ checksums: [String]) -> [RemoteFile] {
            zip(["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"],
                checksums).map { RemoteFile(name: $0, sha256: $1, checksumIsOfContent: true) }
        }
        switch name {
        case .mnist:
            return ("https://ossci-datasets.s3.amazonaws.com/mnist/", idx([
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ]))
        case .fashionMNIST:
            return ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", idx([
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ]))
        case .cifar10:
            // The checksum of the archive as given in the project brief; not verified here (no copy to hand).
            return ("https://www.cs.toronto.edu/~kriz/", [RemoteFile(
                name: "cifar-10-binary.tar.gz", sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
                isArchive: true)])
        case .cifar100:
            return nil
        }
    }

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

    /// Result of a transfer, handed from URLSession's queue to the waiting caller.
    private final class Outcome: @unchecked Sendable {
        var error: ZooError?
    }

    /// Downloads `url` to `path`, failing (rather than hanging) on network errors and non-200 answers.
    static func download(_ url: URL, to path: String) throws {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let hint = "check the network connection and the mirror address (--mirror URL)"
        let task = session.downloadTask(with: url) { location, response, error in
            defer { done.signal() }
            if let error {
                outcome.error = ZooError("download failed: \(error.localizedDescription)", place: url.absoluteString, hint: hint)
            } else if let status = (response as? HTTPURLResponse)?.statusCode, status != 200 {
                outcome.error = ZooError("server answered HTTP \(status)", place: url.absoluteString, hint: hint)
            } else if let location {
                do {
                    try FileManager.default.moveItem(at: location, to: URL(fileURLWithPath: path))
                } catch {
                    outcome.error = ZooError("cannot save the download", place: path, hint: "check the folder is writable")
                }
            } else {
                outcome.error = ZooError("download produced no file", place: url.absoluteString, hint: hint)
            }
        }
        task.resume()
        done.wait()
        if let error = outcome.error { throw error }
    }
}
