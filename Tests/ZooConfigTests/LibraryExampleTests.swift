import Foundation
import XCTest
import ZooTestSupport

// BEGIN EXAMPLE (docs/library.md shows the text from here to END EXAMPLE; the test below checks it still does)
import ZooConfig
import ZooCore
import ZooData

/// A small LeNet-like net from YAML, two epochs on 10,000 MNIST images, saved, loaded into a fresh network, and asked about test images.
func libraryExample(dataDirectory: String?, checkpointPath: String) throws -> (accuracy: Double, predicted: [Int], labels: [Int32]) {
    // 1. An architecture from YAML text (or `ArchitectureRegistry().architecture(named: "lenet")`).
    let architecture = try Architecture.parse(text: """
        name: my-net
        params: {width: 8}
        layers:
          - conv2d: {name: conv1, out: width, kernel: 5}
          - batchnorm
          - relu
          - maxpool2d: 2
          - conv2d: {name: conv2, out: 2 * width, kernel: 5}
          - relu
          - maxpool2d: 2
          - flatten
          - linear: {name: head, out: num_classes}
        """, file: "my-net.yaml")
    let mnist = try DatasetCatalog.load(.mnist, dataDirectory: dataDirectory)
    let network = try architecture.network(dataset: DatasetInput(.mnist), seed: 1)

    // 2. Two epochs of SGD with momentum on 1,000 images of each class, batches prepared on a background thread.
    let train = try BatchLoader(split: mnist.train.balancedSubset(count: 10_000, seed: 1), batchSize: 64, shuffle: true, seed: 1, transforms: [],
                                normalization: mnist.defaultNormalization)
    let optimizer = try SGD(parameters: network.namedParameters, learningRate: 0.05, momentum: 0.9)
    let trainer = Trainer(network: network, optimizer: optimizer, loss: .crossEntropy)
    for epoch in 0..<2 { _ = try trainer.trainEpoch(epoch, data: train) }

    // 3. Save the weights (a safetensors file PyTorch reads too), then load them into a new network.
    try Checkpoint(network: network, optimizer: nil, metadata: [:]).write(to: checkpointPath)
    let restored = try architecture.network(dataset: DatasetInput(.mnist), seed: 2)
    try Checkpoint.read(path: checkpointPath).load(into: restored, path: checkpointPath)

    // 4. Test accuracy, and the predicted class of each image of the first test batch.
    let test = try BatchLoader(split: mnist.test, batchSize: 1000, shuffle: false, seed: 0, transforms: [],
                               normalization: mnist.defaultNormalization)
    let accuracy = try restored.evaluate(data: test, loss: .crossEntropy).accuracy
    test.start(epoch: 0)
    guard let batch = test.nextBatch() else { return (accuracy, [], []) }
    var predicted: [Int] = []
    try restored.infer(batch, split: nil) { share, outputs in
        for image in 0..<share.count {
            let scores = outputs[(image * 10)..<(image * 10 + 10)]
            predicted.append(scores.indices.max { scores[$0] < scores[$1] }! - image * 10)
        }
    }
    return (accuracy, predicted, Array(batch.labels))
}
// END EXAMPLE

/// The library example of docs/library.md compiles (it is this file) and runs: a net from YAML learns MNIST.
final class LibraryExampleTests: XCTestCase {
    func testLibraryExampleTrainsSavesLoadsAndPredicts() throws {
        try Prerequisite.requireMNIST()
        let path = NSTemporaryDirectory() + "zoo-library-example-\(UUID().uuidString).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try libraryExample(dataDirectory: Prerequisite.datasets, checkpointPath: path)
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
