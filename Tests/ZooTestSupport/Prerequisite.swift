import Foundation
import XCTest

/// The one way a test meets a missing tool or dataset: outside CI it skips, saying how to get it; under
/// `CI=true` (where `.ci/run` installs everything) it fails with the same words, so CI never passes by skipping.
public enum Prerequisite {
    public static let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Where real MNIST is looked for: the checkout's sibling `shared/datasets` (CI and this project's machines
    /// keep it there), then the checkout's `data/`, where `zoo data fetch mnist` run in the checkout puts it.
    private static let datasetFolders = [checkout.deletingLastPathComponent().appendingPathComponent("shared/datasets").path,
                                         checkout.appendingPathComponent("data").path]
    private static let mnistFile = "mnist/train-images-idx3-ubyte.gz"

    /// The data directory holding real MNIST (the first of `datasetFolders` when neither does).
    public static let datasets = datasetFolders.first { FileManager.default.fileExists(atPath: "\($0)/\(mnistFile)") } ?? datasetFolders[0]

    public static var isCI: Bool {
        guard let value = ProcessInfo.processInfo.environment["CI"] else { return false }
        return !["", "0", "false", "no"].contains(value.lowercased())
    }

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    /// What to throw when `what` is missing (a skip, or under CI a failure); `install` is the command that provides it.
    public static func missing(_ what: String, install: String) -> Error {
        let message = "\(what) is missing; \(install)"
        return isCI ? Missing(description: "CI needs \(message) (scripts/setup-test-deps.sh does this)") : XCTSkip(message)
    }

    public static func require(_ present: Bool, _ what: String, install: String) throws {
        if !present { throw missing(what, install: install) }
    }

    /// Skips (or fails in CI) unless python3 imports every module.
    public static func requirePython(_ modules: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", modules.map { "import \($0)" }.joined(separator: "; ")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let ran: Bool
        do {
            try process.run()
            process.waitUntilExit()
            ran = process.terminationStatus == 0
        } catch {
            ran = false
        }
        try require(ran, "python3 with \(modules.joined(separator: ", "))",
                    install: "run `bash scripts/setup-test-deps.sh` (or `python3 -m pip install \(modules.joined(separator: " "))`)")
    }

    /// Real MNIST in `datasets/mnist`.
    public static func requireMNIST() throws {
        try require(FileManager.default.fileExists(atPath: "\(datasets)/\(mnistFile)"),
                    "real MNIST (in \(datasetFolders.map { $0 + "/mnist" }.joined(separator: " or ")))",
                    install: "fetch it with `swift run zoo data fetch mnist` in \(checkout.path) (needs the internet; scripts/setup-test-deps.sh tries this)")
    }

    /// The `zoo` binary that `swift build` (and so `swift test`) leaves at `path`.
    public static func requireBinary(_ path: String) throws {
        try require(FileManager.default.isExecutableFile(atPath: path), "the zoo binary at \(path)", install: "run `swift build` first")
    }
}
