import Foundation
import XCTest
import ZooTestSupport
import ZooCore

/// Issue 13's table of hostile inputs, one test per row, through the `zoo` binary: each ends with exit
/// status 1 and one paragraph on stderr (or with the saved state described), and no child exceeds 2 GB.
final class ReliabilityTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "zoo-hostile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder + "/data/mnist", withIntermediateDirectories: true)
        // A small MNIST-shaped dataset: training it takes a second even in a debug build.
        try writeIDX(images: 600, to: folder + "/data/mnist/train")
        try writeIDX(images: 100, to: folder + "/data/mnist/t10k")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
        var usage = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &usage)
        XCTAssertLessThan(usage.ru_maxrss, 2_000_000, "peak resident kilobytes of a zoo process")
    }

    private func writeIDX(images: Int, to stem: String) throws {
        func header(_ magic: UInt32, _ dimensions: [Int]) -> [UInt8] {
            ([magic] + dimensions.map(UInt32.init)).flatMap { value in withUnsafeBytes(of: value.bigEndian, Array.init) }
        }
        let pixels = (0..<images * 784).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 24) }
        try Data(header(0x803, [images, 28, 28]) + pixels).write(to: URL(fileURLWithPath: stem + "-images-idx3-ubyte"))
        try Data(header(0x801, [images]) + (0..<images).map { UInt8($0 % 10) }).write(to: URL(fileURLWithPath: stem + "-labels-idx1-ubyte"))
    }

    private func zoo(_ arguments: String...) throws -> CommandLineTests.Result {
        try CommandLineTests.run(arguments, directory: folder)
    }

    /// Exit status 1, one paragraph (an error line and at most a hint), containing `expected`.
    private func assertRefused(_ result: CommandLineTests.Result, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 1, result.error, file: file, line: line)
        XCTAssertTrue(result.error.contains(expected), result.error, file: file, line: line)
        XCTAssertLessThanOrEqual(result.error.split(separator: "\n").count, 2, result.error, file: file, line: line)
        XCTAssertFalse(result.error.contains("Fatal error") || result.error.contains("NSCocoaErrorDomain"), result.error, file: file, line: line)
    }

    private func trainedRun(_ name: String = "run") throws -> String {
        let result = try zoo("train", "--model", "fc2layer", "--data-dir", "data", "--epochs", "1", "--out", name, "--quiet")
        XCTAssertEqual(result.status, 0, result.error)
        return folder + "/" + name
    }

    /// Rewrites one metadata entry of a checkpoint (or a tensor, with `tensor`), as a hostile editor would.
    private func tampered(_ path: String, key: String? = nil, value: String = "", tensor: String? = nil) throws -> String {
        var file = try SafetensorsFile.read(path: path)
        if let key { file.metadata[key] = value }
        if let tensor, var values = try file.tensors[tensor]?.floats {
            values[0] = .nan
            file.tensors[tensor] = SafetensorsTensor(floats: values, shape: file.tensors[tensor]!.shape)
        }
        try file.write(to: path)
        return path
    }

    func testBatchSizesThatOverflowOrDoNotFitAreRefused() throws {
        for batch in ["4611686018427387904", "100000000"] {
            assertRefused(try zoo("train", "--model", "lenet", "--data-dir", "data", "--set", "batch_size=\(batch)", "--out", "r"),
                          "use a batch size of at most")
        }
        let run = try trainedRun()
        assertRefused(try zoo("eval", run + "/last.safetensors", "--data-dir", "data", "--batch-size", "4611686018427387904"), "memory budget")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/r/config.yaml"))
    }

    /// A summary only counts (any size); training refuses the weights before allocating them.
    func testNetworksTooLargeInTotalAreSummarisedButRefusedBeforeAllocating() throws {
        try "name: wide\nlayers:\n  - flatten\n  - linear: {out: 100000}\n  - linear: {out: 100000}\n  - linear: num_classes\n"
            .write(toFile: folder + "/wide.yaml", atomically: true, encoding: .utf8)
        try "name: kernel\nlayers:\n  - conv2d: {out: 4, kernel: 100000, padding: 100000}\n  - flatten\n  - linear: num_classes\n"
            .write(toFile: folder + "/kernel.yaml", atomically: true, encoding: .utf8)
        for file in ["wide.yaml", "kernel.yaml"] {
            let summary = try zoo("summary", file, "--max-memory", "500MB")
            XCTAssertEqual(summary.status, 0, summary.error)
            XCTAssertTrue(summary.output.contains("warning: training at this batch size would not fit"), summary.output)
            assertRefused(try zoo("train", "--model", file, "--data-dir", "data", "--max-memory", "500MB", "--out", "w"), "more than the memory budget")
        }
        assertRefused(try zoo("summary", "kernel.yaml", "--set", "x=1", "--max-memory", "lots"), "--max-memory must be a size")
    }

    func testManyChannelsAreShownInTheSummaryAndRefusedForTraining() throws {
        try "name: channels\nlayers:\n  - conv2d: {out: 100000, kernel: 1}\n  - relu\n  - global_avgpool\n  - flatten\n  - linear: num_classes\n"
            .write(toFile: folder + "/channels.yaml", atomically: true, encoding: .utf8)
        let summary = try zoo("summary", "channels.yaml", "--batch-size", "64")
        XCTAssertEqual(summary.status, 0, summary.error)
        XCTAssertTrue(summary.output.contains("Training memory:       about"), summary.output)
        XCTAssertTrue(summary.output.contains("warning: training at this batch size would not fit"), summary.output)
        assertRefused(try zoo("train", "--model", "channels.yaml", "--data-dir", "data", "--out", "c"), "needs about")
    }

    func testCheckpointMetadataIsValidatedKeyByKey() throws {
        let run = try trainedRun()
        let last = run + "/last.safetensors"
        let original = try Data(contentsOf: URL(fileURLWithPath: last))
        let cases: [(key: String, value: String, command: [String], expected: String)] = [
            ("input_shape", "[1,100000,100000]", ["eval"], "metadata key `input_shape`: must be"),
            ("input_shape", "[-1,28,28]", ["eval"], "metadata key `input_shape`: must be"),
            ("input_shape", "[1,32,32]", ["eval"], "metadata key `input_shape`: 1x32x32 is not what mnist gives"),
            ("test_transforms", "[{\"padTo\":{\"_0\":100000}}]", ["eval"], "metadata key `test_transforms`: pad_to size 100000"),
            ("test_transforms", "[{\"randomCrop\":{\"size\":28,\"padding\":4611686018427387903}}]", ["eval"], "metadata key `test_transforms`"),
            ("normalization", "{\"mean\":[0.1],\"std\":[0]}", ["eval"], "metadata key `normalization`"),
            ("epoch", "-5", ["train", "--resume", run, "--data-dir", "data", "--epochs", "2"], "metadata key `epoch`: must be a whole number"),
            ("epoch", "abc", ["train", "--resume", run, "--data-dir", "data", "--epochs", "2"], "metadata key `epoch`: must be a whole number"),
            ("best_test_accuracy", "7", ["train", "--resume", run, "--data-dir", "data", "--epochs", "2"], "metadata key `best_test_accuracy`"),
        ]
        for entry in cases {
            try original.write(to: URL(fileURLWithPath: last))
            _ = try tampered(last, key: entry.key, value: entry.value)
            let arguments = entry.command == ["eval"] ? ["eval", last, "--data-dir", "data"] : entry.command
            assertRefused(try CommandLineTests.run(arguments, directory: folder), entry.expected)
        }
    }

    func testNonFiniteWeightsAndOptimizerStateAreRefusedAtLoad() throws {
        let run = try trainedRun()
        let last = run + "/last.safetensors"
        let original = try Data(contentsOf: URL(fileURLWithPath: last))
        let names = try SafetensorsFile.read(path: last).tensors.keys.sorted()
        let weight = try XCTUnwrap(names.first { !$0.hasPrefix("optimizer.") })
        assertRefused(try zoo("eval", try tampered(last, tensor: weight), "--data-dir", "data"), "tensor `\(weight)` holds nan")
        try original.write(to: URL(fileURLWithPath: last))
        let optimizerTensor = try XCTUnwrap(names.first { $0.hasPrefix("optimizer.") })
        _ = try tampered(last, tensor: optimizerTensor)
        assertRefused(try zoo("train", "--resume", run, "--data-dir", "data", "--epochs", "2"), "tensor `\(optimizerTensor)` holds nan")
    }

    func testHugeSparseFileIsRefusedQuickly() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: folder + "/huge.safetensors", contents: nil))
        XCTAssertEqual(truncate(folder + "/huge.safetensors", 2_000_000_000), 0)
        assertRefused(try zoo("eval", "huge.safetensors"), "header is not valid JSON")
    }

    func testASecondRunIntoALockedFolderIsRefusedAndAStaleLockTakenOver() throws {
        try FileManager.default.createDirectory(atPath: folder + "/locked", withIntermediateDirectories: true)
        let host = ProcessInfo.processInfo.hostName
        try "\(getpid()) \(host)\n".write(toFile: folder + "/locked/zoo.lock", atomically: true, encoding: .utf8)
        assertRefused(try zoo("train", "--model", "fc2layer", "--data-dir", "data", "--epochs", "1", "--out", "locked"),
                      "another zoo run (process \(getpid()) on \(host)) is writing this run folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/locked/config.yaml"))
        // A process that has exited: its lock is stale.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        try "\(finished.processIdentifier) \(host)\n".write(toFile: folder + "/locked/zoo.lock", atomically: true, encoding: .utf8)
        let taken = try zoo("train", "--model", "fc2layer", "--data-dir", "data", "--epochs", "1", "--out", "locked", "--quiet")
        XCTAssertEqual(taken.status, 0, taken.error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/locked/zoo.lock"), "the lock is released at the end")
    }

    func testSigtermSavesTheInterruptedStateAndExits143() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = ["train", "--model", "fc2layer", "--data-dir", "data", "--epochs", "1000", "--batch-size", "1", "--out", "term", "--quiet"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try Prerequisite.requireBinary(CommandLineTests.binary)
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: folder + "/term/last.safetensors") && Date() < deadline && process.isRunning {
            usleep(100_000)
        }
        XCTAssertTrue(process.isRunning)
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 143)
        XCTAssertNoThrow(try SafetensorsFile.read(path: folder + "/term/interrupted.safetensors"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/term/zoo.lock"))
    }

    func testTemporaryFilesOfAKilledWriteAreRemovedAtTheNextStart() throws {
        let run = try trainedRun()
        let leftover = run + "/.last.safetensors.4242.99.tmp"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: leftover))
        let resumed = try zoo("train", "--resume", run, "--data-dir", "data", "--epochs", "2", "--quiet")
        XCTAssertEqual(resumed.status, 0, resumed.error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover))
        // Best is written before last, so it is never older than what last records as best.
        let last = try SafetensorsFile.read(path: run + "/last.safetensors").metadata
        let best = try SafetensorsFile.read(path: run + "/best.safetensors").metadata
        XCTAssertEqual(best["test_accuracy"], last["best_test_accuracy"])
    }

    func testFileSystemErrorsSayWhatIsInTheWay() throws {
        try Data().write(to: URL(fileURLWithPath: folder + "/afile"))
        assertRefused(try zoo("train", "--model", "fc2layer", "--data-dir", "data", "--out", "afile"), "a file that is not a folder is in the way")
        assertRefused(try zoo("train", "--model", "fc2layer", "--data-dir", "data", "--out", "afile/run"), "cannot create the run folder")
    }

    func testNegativeNumbersReachTheRangeChecks() throws {
        assertRefused(try zoo("train", "--lr", "-1", "--data-dir", "data"), "must be a number greater than 0")
        assertRefused(try zoo("train", "--epochs", "-1", "--data-dir", "data"), "`epochs` must be at least 1, not -1")
        assertRefused(try zoo("train", "--seed", "-1", "--data-dir", "data"), "`seed` must be at least 0, not -1")
    }

    func testAFlagAndASetThatDisagreeAreAnError() throws {
        assertRefused(try zoo("train", "--epochs", "1", "--set", "epochs=2", "--data-dir", "data"), "says otherwise")
        assertRefused(try zoo("train", "--lr", "0.1", "--set", "optimizer.lr=0.2", "--data-dir", "data"), "says otherwise")
    }

    func testAFailedResumeChangesNothingOnDisk() throws {
        let run = try trainedRun()
        let before = try String(contentsOfFile: run + "/config.yaml", encoding: .utf8)
        assertRefused(try zoo("train", "--resume", run, "--data-dir", "data", "--set", "log_every=7"), "already trained 1 of 1 epochs")
        XCTAssertEqual(try String(contentsOfFile: run + "/config.yaml", encoding: .utf8), before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: run + "/zoo.lock"))
    }
}
