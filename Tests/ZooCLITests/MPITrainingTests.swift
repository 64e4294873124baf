import Foundation
import XCTest
import ZooTestSupport
import ZooCore
import ZooData

/// `mpirun -np 2 zoo …` on this machine, as CI runs it: the same model as one process, resume, bench,
/// and a failing, mismatched or killed rank ending the whole job instead of hanging.
final class MPITrainingTests: XCTestCase {
    struct Result {
        let status: Int32
        let output: String
        let error: String
    }

    private var folders: [String] = []

    override func tearDown() {
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
    }

    private func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "zoo-mpi-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        folders.append(folder)
        return folder
    }

    private static let mpirun = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs a command in `folder`; a job still running after two minutes is a hang: killed, and the test fails.
    private func run(_ executable: String, _ arguments: [String], in folder: String) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        // One thread per rank: two ranks on CI's cores without OpenMP threads spinning against each other.
        // Containers often forbid the cross-process reads Open MPI's shared-memory transport tries first.
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["OMP_NUM_THREADS": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none"]) { $1 }
        let outputFile = folder + "/stdout-\(UUID().uuidString)", errorFile = folder + "/stderr-\(UUID().uuidString)"
        _ = FileManager.default.createFile(atPath: outputFile, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputFile))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errorFile))
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        if ended.wait(timeout: .now() + 120) == .timedOut {
            process.terminate()
            ended.wait()
            XCTFail("`\(([executable] + arguments).joined(separator: " "))` hung")
        }
        return Result(status: process.terminationStatus, output: (try? String(contentsOfFile: outputFile, encoding: .utf8)) ?? "",
                      error: (try? String(contentsOfFile: errorFile, encoding: .utf8)) ?? "")
    }

    private func zoo(_ arguments: [String], in folder: String) throws -> Result {
        try run(try binary(), arguments, in: folder)
    }

    /// `mpirun -np 2 zoo ARGUMENTS`; `contexts` instead gives each rank its own arguments and environment.
    private func mpirun(_ arguments: [String], in folder: String) throws -> Result {
        guard let mpirun = Self.mpirun else { throw Prerequisite.missing("Open MPI's mpirun", install: "apt-get install openmpi-bin libopenmpi-dev") }
        return try run(mpirun, ["--allow-run-as-root", "--oversubscribe"] + arguments, in: folder)
    }

    private func binary() throws -> String {
        try Prerequisite.requireBinary(CommandLineTests.binary)
        return CommandLineTests.binary
    }

    /// The first `train` and `test` images of real MNIST as raw IDX files in `folder/mnist`.
    private func mnistSubset(train: Int, test: Int, in folder: String) throws -> String {
        let dataDirectory = try realMNIST()
        let mnist = try DatasetCatalog.load(.mnist, dataDirectory: dataDirectory)
        let target = folder + "/data"
        try FileManager.default.createDirectory(atPath: target + "/mnist", withIntermediateDirectories: true)
        func bigEndian(_ values: [Int]) -> [UInt8] { values.flatMap { value in (0..<4).reversed().map { UInt8((value >> (8 * $0)) & 0xFF) } } }
        for (prefix, split, count) in [("train", mnist.train, train), ("t10k", mnist.test, test)] {
            let images = bigEndian([0x803, count, 28, 28]) + split.images.prefix(count * 784)
            let labels = bigEndian([0x801, count]) + split.labels.prefix(count)
            try Data(images).write(to: URL(fileURLWithPath: "\(target)/mnist/\(prefix)-images-idx3-ubyte"))
            try Data(labels).write(to: URL(fileURLWithPath: "\(target)/mnist/\(prefix)-labels-idx1-ubyte"))
        }
        return target
    }

    /// The folder holding real MNIST (CI has it beside the clone).
    private func realMNIST() throws -> String {
        try Prerequisite.requireMNIST()
        return Prerequisite.datasets
    }

    private func trainArguments(data: String) -> [String] {
        ["train", "--model", "lenet", "--dataset", "mnist", "--data-dir", data, "--optimizer", "sgd", "--lr", "0.05",
         "--set", "optimizer.momentum=0.9", "--quiet"]
    }

    private func weights(_ path: String) throws -> [String: [Float]] {
        try Checkpoint.read(path: path).parameters.mapValues { try $0.floats }
    }

    /// Largest relative difference ||a - b|| / ||a|| over the tensors of two checkpoints.
    private func largestRelativeDifference(_ first: String, _ second: String) throws -> Double {
        let (a, b) = (try weights(first), try weights(second))
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        return a.keys.map { name -> Double in
            let (x, y) = (a[name] ?? [], b[name] ?? [])
            let difference = zip(x, y).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
            let size = x.reduce(0.0) { $0 + Double($1) * Double($1) }
            return (difference / max(size, 1e-30)).squareRoot()
        }.max() ?? .infinity
    }

    /// 1,000 images at a global batch of 51: 20 steps, shares of 26 and 25 images, a last batch of 31.
    func testTwoRanksTrainTheSameLeNetAsOneProcess() throws {
        let folder = try temporaryFolder()
        let data = try mnistSubset(train: 1_000, test: 200, in: folder)
        let arguments = trainArguments(data: data) + ["--epochs", "1", "--batch-size", "51"]
        let single = try zoo(arguments + ["--out", "single"], in: folder)
        XCTAssertEqual(single.status, 0, single.error)
        let parallel = try mpirun(["-np", "2", try binary()] + arguments + ["--out", "parallel"], in: folder)
        XCTAssertEqual(parallel.status, 0, parallel.error)
        let difference = try largestRelativeDifference(folder + "/single/last.safetensors", folder + "/parallel/last.safetensors")
        print("LeNet, 20 steps on 1 and 2 ranks: largest relative weight difference \(difference)")
        XCTAssertLessThan(difference, 1e-5)
        // Rank 0 alone prints: one resolved config, one test line, with the whole test set counted.
        XCTAssertEqual(parallel.output.components(separatedBy: "Test set:").count, 2, parallel.output)
        XCTAssertTrue(parallel.output.contains("Accuracy: "), parallel.output)
        XCTAssertTrue(parallel.output.contains("/200 ("), parallel.output)
        XCTAssertEqual(try String(contentsOfFile: folder + "/parallel/metrics.csv", encoding: .utf8).split(separator: "\n").count, 2)
    }

    /// One epoch of the whole of real MNIST (938 steps of 64): the test accuracy on 2 ranks is within 0.3 points of one process's.
    func testOneEpochOfRealMNISTOnTwoRanksReachesTheSameAccuracy() throws {
        let folder = try temporaryFolder()
        // The PyTorch examples' recipe: SGD, learning rate 0.01 (the last --lr counts), momentum 0.9, batch 64.
        let arguments = trainArguments(data: try realMNIST()) + ["--lr", "0.01", "--epochs", "1", "--batch-size", "64"]
        func accuracy(_ run: String) throws -> Double {
            let row = try String(contentsOfFile: "\(folder)/\(run)/metrics.csv", encoding: .utf8).split(separator: "\n")[1]
            return try XCTUnwrap(Double(row.split(separator: ",")[5]))
        }
        let single = try zoo(arguments + ["--out", "single"], in: folder)
        XCTAssertEqual(single.status, 0, single.error)
        let parallel = try mpirun(["-np", "2", try binary()] + arguments + ["--out", "parallel"], in: folder)
        XCTAssertEqual(parallel.status, 0, parallel.error)
        let (alone, together) = (try accuracy("single"), try accuracy("parallel"))
        print(String(format: "LeNet, 1 epoch of real MNIST: %.2f%% on 1 process, %.2f%% on 2 ranks", alone * 100, together * 100))
        XCTAssertGreaterThan(together, 0.95)
        XCTAssertLessThanOrEqual(abs(alone - together), 0.003)
    }

    /// One epoch, then `--resume` under 2 ranks (and under 1), against 2 epochs straight through.
    func testResumeUnderMPIMatchesAnUninterruptedRun() throws {
        let folder = try temporaryFolder()
        let data = try mnistSubset(train: 600, test: 100, in: folder)
        let arguments = trainArguments(data: data) + ["--batch-size", "50"]
        let straight = try mpirun(["-np", "2", try binary()] + arguments + ["--epochs", "2", "--out", "straight"], in: folder)
        XCTAssertEqual(straight.status, 0, straight.error)
        for (ranks, name) in [(2, "resumed"), (1, "resumed-alone")] {
            let first = try mpirun(["-np", "2", try binary()] + arguments + ["--epochs", "1", "--out", name], in: folder)
            XCTAssertEqual(first.status, 0, first.error)
            let resumed = try mpirun(["-np", String(ranks), try binary(), "train", "--resume", name, "--epochs", "2", "--quiet"], in: folder)
            XCTAssertEqual(resumed.status, 0, resumed.error)
            XCTAssertTrue(resumed.output.contains("resuming after epoch 1"), resumed.output)
            XCTAssertLessThan(try largestRelativeDifference(folder + "/straight/last.safetensors", "\(folder)/\(name)/last.safetensors"), 1e-5,
                              "resumed on \(ranks) ranks")
        }
    }

    /// Rank 1 reads a truncated dataset: its error, with rank and host, ends both ranks with status 1.
    func testAFailingRankEndsTheJobWithItsRankAndHost() throws {
        let folder = try temporaryFolder()
        let good = try mnistSubset(train: 200, test: 50, in: folder)
        let bad = folder + "/bad"
        try FileManager.default.copyItem(atPath: good, toPath: bad)
        let truncated = bad + "/mnist/train-images-idx3-ubyte"
        try Data(try XCTUnwrap(FileManager.default.contents(atPath: truncated)).prefix(5_000)).write(to: URL(fileURLWithPath: truncated))
        // The data folder comes from ZOO_DATA, which is not part of the resolved config, so the ranks agree on it.
        let arguments = ["train", "--model", "lenet", "--dataset", "mnist", "--epochs", "1", "--quiet", "--out", "run"]
        let result = try mpirun(["-np", "1", "-x", "ZOO_DATA=\(good)", try binary()] + arguments
                                + [":", "-np", "1", "-x", "ZOO_DATA=\(bad)", try binary()] + arguments, in: folder)
        XCTAssertEqual(result.status, 1, result.error)
        XCTAssertTrue(result.error.contains("train-images-idx3-ubyte at byte 5000: error: file is truncated"), result.error)
        XCTAssertTrue(result.error.contains("(rank 1 of 2 on "), result.error)
        XCTAssertTrue(result.error.contains("; ending all 2 ranks)"), result.error)
    }

    func testRanksWithDifferentConfigsAreRefusedBeforeTraining() throws {
        let folder = try temporaryFolder()
        let data = try mnistSubset(train: 200, test: 50, in: folder)
        let arguments = trainArguments(data: data) + ["--epochs", "1", "--out", "run"]
        let result = try mpirun(["-np", "1", try binary()] + arguments + [":", "-np", "1", try binary()] + arguments + ["--lr", "0.5"],
                                in: folder)
        XCTAssertEqual(result.status, 1, result.error)
        XCTAssertTrue(result.error.contains("error: rank 1 on "), result.error)
        XCTAssertTrue(result.error.contains(" has different resolved configs or architectures than rank 0 on "), result.error)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/run/metrics.csv"))
    }

    /// A rank killed mid-run (SIGKILL, as the out-of-memory killer does): Open MPI ends the job and names it.
    func testAKilledRankEndsTheJob() throws {
        let folder = try temporaryFolder()
        let data = try mnistSubset(train: 1_000, test: 50, in: folder)
        let script = "if [ \"$OMPI_COMM_WORLD_RANK\" = 1 ]; then (sleep 2; kill -9 $$) & fi; exec \"$@\""
        let result = try mpirun(["-np", "2", "/bin/sh", "-c", script, "zoo", try binary()] + trainArguments(data: data)
                                + ["--epochs", "1000", "--out", "run"], in: folder)
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.error.contains("rank 1") && result.error.contains("signal 9"), result.error)
    }

    func testBenchUnderMPIPrintsOneJSONObjectForTheJob() throws {
        let folder = try temporaryFolder()
        let result = try mpirun(["-np", "2", try binary(), "bench", "lenet", "--batch", "32", "--steps", "2", "--windows", "1", "--json"],
                                in: folder)
        XCTAssertEqual(result.status, 0, result.error)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any], result.output)
        XCTAssertEqual(report["ranks"] as? Int, 2)
        XCTAssertEqual(report["batch_size"] as? Int, 32)
        XCTAssertGreaterThan(report["train_images_per_sec"] as? Double ?? 0, 0)
        XCTAssertNotNil(report["allreduce_wait_fraction"] as? Double)
    }
}
