import XCTest
import ZooTestSupport
@testable import ZooCore
import ZooDistributed

/// Splitting a batch across single-threaded replicas trains the same model as one network on the whole
/// batch, up to float summation order, and repeats to the bit.
final class CoreParallelTests: XCTestCase {
    private func lenetLike(seed: UInt64 = 5, batchnorm: Bool = false) throws -> Network {
        try Network(layers: [
            .init(type: "conv2d", arguments: ["out": .init(.int(4)), "kernel": .init(.int(3))]), .init(type: "relu"),
            .init(type: "maxpool2d", arguments: ["kernel": .init(.int(2))]),
        ] + (batchnorm ? [.init(type: "batchnorm")] : []) + [
            .init(type: "flatten"),
            .init(type: "linear", arguments: ["out": .init(.int(8))]), .init(type: "relu"),
            .init(type: "linear", arguments: ["out": .init(.int(3))]),
        ], inputShape: Shape([1, 8, 8]), seed: seed)
    }

    private func batch(_ count: Int, seed: UInt64) -> (images: [Float], labels: [Int32]) {
        var random = SeededRandom(seed: seed)
        return (random.uniform(1, count: count * 64), (0..<count).map { Int32(($0 * 7 + Int(seed)) % 3) })
    }

    /// Loss, correct count and every gradient of one step, with `replicas` replicas (1: the plain plan).
    private func step(_ network: Network, split: CoreParallel?, images: [Float], labels: [Int32]) throws -> (Loss.Result, [[Float]]) {
        let batch = LabeledBatch(count: labels.count, images: images, labels: labels)
        let result = try split?.forwardLossBackward(batch, loss: .crossEntropy, classes: 3) ?? labels.withUnsafeBufferPointer { labels in
            let plan = try network.plan(batchSize: labels.count, training: true)
            try plan.load(batch)
            return try plan.forwardLossBackward(.crossEntropy, labels: labels, classes: 3)
        }
        return (result, try network.trainableParameters.map { try $0.readGradient() })
    }

    func testASplitBatchHasTheWholeBatchsLossAndGradients() throws {
        // Even and uneven shares, and a batch smaller than the replica count (empty shares).
        for (count, replicas) in [(8, 2), (7, 3), (2, 3)] {
            let (images, labels) = batch(count, seed: UInt64(count))
            let (expected, expectedGradients) = try step(try lenetLike(), split: nil, images: images, labels: labels)
            let network = try lenetLike()
            let split = try CoreParallel(network: network, replicas: replicas, batchSize: count)
            XCTAssertEqual(split.replicaCount, replicas)
            let (actual, actualGradients) = try step(network, split: split, images: images, labels: labels)
            XCTAssertEqual(actual.loss, expected.loss, accuracy: 1e-6 * max(1, abs(expected.loss)), "\(count) images, \(replicas) replicas")
            XCTAssertEqual(actual.correct, expected.correct)
            for (index, (gradient, reference)) in zip(actualGradients, expectedGradients).enumerated() {
                assertClose(gradient, reference, tolerance: 1e-5, "\(count) images on \(replicas) replicas, gradient \(index)")
            }
        }
    }

    /// Ten SGD steps with momentum: the replicas see every update (they share the values), so the weights
    /// follow one network's; and two split runs end with the same bits.
    func testTrainingWithReplicasFollowsOneNetworkAndRepeatsToTheBit() throws {
        func train(replicas: Int) throws -> [[Float]] {
            let network = try lenetLike(seed: 11)
            let split = try CoreParallel.make(network: network, batchSize: 10, replicas: replicas)
            let optimizer = try SGD(parameters: network.namedParameters, learningRate: 0.1, momentum: 0.9)
            for step in 0..<10 {
                let (images, labels) = batch(10, seed: UInt64(100 + step))
                _ = try self.step(network, split: split, images: images, labels: labels)
                try optimizer.step()
            }
            return try network.trainableParameters.map { try $0.read() }
        }
        let single = try train(replicas: 1), split = try train(replicas: 2)
        for (index, (actual, expected)) in zip(split, single).enumerated() {
            assertClose(actual, expected, tolerance: 1e-4, "weight \(index) after 10 steps")
        }
        XCTAssertEqual(try train(replicas: 2), split, "the same split run twice")
        XCTAssertNotEqual(single, split, "a split that changed nothing would not show the sums are in another order")
    }

    /// Networks with batch norm keep the whole batch (its statistics would become per replica); the others
    /// get one replica per thread; a count out of range is an error, not a silent default.
    /// The evaluation's mistakes are the first images scored wrong in the data's order, across the replicas' shares,
    /// with each image's own outputs: what one image at a time gives.
    func testEvaluationFindsTheFirstMistakesInOrderAcrossTheShares() throws {
        let network = try lenetLike()
        let (images, labels) = batch(100, seed: 3)
        var expected: [ScoredMistake] = []
        for index in 0..<labels.count where expected.count < 10 {
            try network.infer(Array(images[(index * 64)..<((index + 1) * 64)]), count: 1) { _, output in
                let predicted = output.indices.max { output[$0] < output[$1] } ?? 0
                if predicted != Int(labels[index]) {
                    expected.append(ScoredMistake(position: index, trueClass: Int(labels[index]), predictedClass: predicted, outputs: Array(output)))
                }
            }
        }
        let split = try XCTUnwrap(try CoreParallel.make(network: network, batchSize: 16, replicas: 2, training: false))
        let data = ArrayBatchSource(images: images, labels: labels, imageSize: 64, batchSize: 16)
        let mistakes = try network.evaluate(data: data, loss: .crossEntropy, split: split, mistakeLimit: 10).mistakes
        XCTAssertEqual(mistakes.map(\.position), expected.map(\.position))
        XCTAssertEqual(mistakes.map(\.predictedClass), expected.map(\.predictedClass))
        XCTAssertEqual(mistakes.map(\.trueClass), expected.map(\.trueClass))
        for (mistake, expected) in zip(mistakes, expected) {
            for (value, expectedValue) in zip(mistake.outputs, expected.outputs) { XCTAssertEqual(value, expectedValue, accuracy: 1e-4) }
        }
        XCTAssertEqual(expected.count, 10, "an untrained network gets at least 10 of 100 wrong")
    }

    func testTheAutomaticCountAndTheRangeOfTheFlag() throws {
        let threads = OpenMPThreads.maximum
        XCTAssertEqual(CoreParallel.automaticReplicaCount(for: try lenetLike(), batchSize: 64), threads > 1 ? threads : 1)
        XCTAssertEqual(CoreParallel.automaticReplicaCount(for: try lenetLike(batchnorm: true), batchSize: 64), 1)
        XCTAssertEqual(CoreParallel.automaticReplicaCount(for: try lenetLike(batchnorm: true), batchSize: 64, training: false),
                       threads > 1 ? threads : 1, "inference normalises with the running statistics, so it splits")
        XCTAssertEqual(CoreParallel.automaticReplicaCount(for: try lenetLike(), batchSize: 1), 1)
        XCTAssertNil(try CoreParallel.make(network: try lenetLike(), batchSize: 64, replicas: 1))
        XCTAssertThrowsError(try CoreParallel.make(network: try lenetLike(), batchSize: 64, replicas: 0)) { error in
            XCTAssertTrue("\(error)".contains("--replicas must be between 1 and 256"), "\(error)")
        }
    }

    /// Inference of a batch-norm network split across replicas: the whole batch's outputs, with the network's
    /// running statistics (trained first, so they are not the initial ones); such a split refuses to train.
    func testAnInferenceSplitOfABatchNormNetworkGivesTheWholeBatchsOutputs() throws {
        let network = try lenetLike(batchnorm: true)
        for seed in 0..<3 {
            let (images, labels) = batch(6, seed: UInt64(seed))
            _ = try step(network, split: nil, images: images, labels: labels)
        }
        let (images, labels) = batch(7, seed: 42)
        let plan = try network.plan(batchSize: 7, training: false)
        try plan.load(LabeledBatch(count: 7, images: images, labels: labels))
        try plan.forward()
        let expected = plan.withOutput { Array($0) }
        let split = try XCTUnwrap(CoreParallel.make(network: network, batchSize: 7, replicas: 2, training: false))
        var actual: [Float] = []
        try split.infer(images, count: 7) { _, outputs in actual += outputs }
        assertClose(actual, expected, tolerance: 1e-5, "split inference")
        XCTAssertThrowsError(try step(network, split: split, images: images, labels: labels)) { error in
            XCTAssertTrue("\(error)".contains("made for inference"), "\(error)")
        }
    }
}
