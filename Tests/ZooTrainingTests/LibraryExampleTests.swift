import Foundation
import XCTest
import ZooTestSupport

// BEGIN EXAMPLE (docs/library.md shows the text from here to END EXAMPLE; the test below checks it still does)
import ZooConfig
import ZooCore
import ZooData
import ZooTraining

/// LeNet trained as `zoo train` trains it: one epoch into a run folder, resumed for a second, then the run's best
/// checkpoint loaded and asked about test images.
func libraryExample(dataDirectory: String?, runFolder: String) throws -> (accuracy: Double, predicted: [Int], labels: [Int32]) {
    // 1. A training config as `zoo train` reads it (docs/training-config.md); overrides as `--set` gives them.
    let config = try TrainingConfig.resolve(text: """
        model: lenet   # zoo/lenet.yaml, or the path of your own architecture file
        dataset: {name: mnist, train_limit: 10000}
        optimizer: {name: sgd, lr: 0.05, momentum: 0.9}
        epochs: 1
        batch_size: 64
        """, file: "example.yaml", overrides: dataDirectory.map { ["dataset.data_dir=\($0)"] } ?? [])
    let quiet = ProgressOutput(quiet: true, logEvery: 1_000, silent: true)

    // 2. One epoch: the run folder gets config.yaml, metrics.csv, report.html, last.safetensors and best.safetensors.
    _ = try TrainingSession(config: config, registry: ArchitectureRegistry(), runDirectory: runFolder, resume: false, progress: quiet).run()

    // 3. A second epoch from last.safetensors (weights, optimizer state, epochs done), as `zoo train --resume RUN --epochs 2`.
    var twoEpochs = config
    twoEpochs.epochs = 2
    _ = try TrainingSession(config: twoEpochs, registry: ArchitectureRegistry(), runDirectory: runFolder, resume: true, progress: quiet).run()

    // 4. The run's best checkpoint, loaded into the network its architecture text builds, and the test set as it was prepared.
    let model = try RestoredModel(path: try resolveCheckpointPath(runFolder))
    let mnist = try DatasetCatalog.load(.mnist, dataDirectory: dataDirectory)
    let test = try BatchLoader(split: mnist.test, batchSize: 1000, shuffle: false, seed: 0, transforms: model.description.testTransforms,
                               normalization: model.description.normalization)
    let accuracy = try model.network.evaluate(data: test, loss: model.description.loss).accuracy

    // 5. The predicted class of each image of the first test batch.
    test.start(epoch: 0)
    guard let batch = test.nextBatch() else { return (accuracy, [], []) }
    var predicted: [Int] = []
    try model.network.infer(batch, split: nil) { share, outputs in
        for image in 0..<share.count {
            let scores = outputs[(image * 10)..<(image * 10 + 10)]
            predicted.append(scores.indices.max { scores[$0] < scores[$1] }! - image * 10)
        }
    }
    return (accuracy, predicted, Array(batch.labels))
}
// END EXAMPLE

/// The library example of docs/library.md compiles (it is this file) and runs: LeNet learns MNIST, resumes and predicts.
final class LibraryExampleTests: XCTestCase {
    func testLibraryExampleTrainsSavesLoadsAndPredicts() throws {
        try Prerequisite.requireMNIST()
        let folder = NSTemporaryDirectory() + "zoo-library-example-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let result = try libraryExample(dataDirectory: Prerequisite.datasets, runFolder: folder)
        let metrics = try String(contentsOfFile: folder + "/metrics.csv", encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").map { $0.prefix(2) }.dropFirst(), ["1,", "2,"], "the resume adds the second epoch")
        XCTAssertGreaterThan(result.accuracy, 0.95)
        XCTAssertEqual(result.predicted.count, 1000)
        let agreeing = zip(result.predicted, result.labels).filter { $0 == Int($1) }.count
        XCTAssertGreaterThan(agreeing, 930)
    }

    func testTheDocumentationShowsThisExample() throws {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let start = try XCTUnwrap(source.range(of: "the test below checks it still does)\n"))
        let end = try XCTUnwrap(source.range(of: "// END EXAMPLE"))
        let example = String(source[start.upperBound..<end.lowerBound])
        let page = try String(contentsOf: Prerequisite.checkout.appendingPathComponent("docs/library.md"), encoding: .utf8)
        XCTAssertTrue(page.contains("```swift\n" + example + "```"), "docs/library.md no longer shows the example of LibraryExampleTests.swift")
    }
}
