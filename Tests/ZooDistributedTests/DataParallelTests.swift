import XCTest
import ZooTestSupport
@testable import ZooCore
import ZooDistributed

/// A stand-in for a group of identical workers: every other worker had the same images, so a sum is
/// `workers` times this worker's values. It records the order of calls, to show sums start during backward.
private final class MirrorGroup: DataParallelGroup {
    let worker = 0
    let workers: Int
    var events: [String] = []
    private var started: [UnsafeMutableBufferPointer<Float>] = []

    init(workers: Int) { self.workers = workers }

    func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        for index in values.indices { values[index] *= Double(workers) }
    }

    func startSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        events.append("start \(values.count)")
        started.append(values)
    }

    func advanceSums() throws { events.append("advance") }

    func finishSums() throws {
        events.append("finish")
        for values in started { for index in values.indices { values[index] *= Float(workers) } }
        started = []
    }

    func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws { events.append("broadcast") }

    func requireAgreement(on fingerprint: UInt64, about subject: String, hint: String) throws {}
}

final class DataParallelTests: XCTestCase {
    func testSharesDifferByAtMostOneImageAndCoverTheBatchOnce() {
        let cases: [(count: Int, workers: Int, ranges: [Range<Int>])] = [
            (64, 2, [0..<32, 32..<64]),
            (51, 2, [0..<26, 26..<51]),
            (10, 3, [0..<4, 4..<7, 7..<10]),
            (1, 2, [0..<1, 1..<1]),
            (5, 1, [0..<5]),
        ]
        for (count, workers, ranges) in cases {
            XCTAssertEqual((0..<workers).map { BatchShare(worker: $0, workers: workers).range(inBatchOf: count) }, ranges,
                           "\(count) images on \(workers) workers")
            XCTAssertEqual(BatchShare(worker: 0, workers: workers).largestShare(ofBatch: count), ranges.map(\.count).max())
        }
    }

    private func network(batchNorm: Bool = false) throws -> Network {
        try Network(layers: [
            .init(type: "conv2d", arguments: ["out": .init(.int(4)), "kernel": .init(.int(3))]), .init(type: "relu"),
        ] + (batchNorm ? [.init(type: "batchnorm")] : []) + [
            .init(type: "flatten"),
            .init(type: "linear", arguments: ["out": .init(.int(8))]), .init(type: "relu"),
            .init(type: "linear", arguments: ["out": .init(.int(3))]),
        ], inputShape: Shape([1, 6, 6]), seed: 5)
    }

    private func gradients(of network: Network, images: [Float], labels: [Int32],
                           backward: (Plan) throws -> Void) throws -> [[Float]] {
        let plan = try network.plan(batchSize: labels.count, training: true)
        plan.withInput { input in for index in input.indices { input[index] = images[index] } }
        try plan.forward()
        _ = try labels.withUnsafeBufferPointer { labels in
            try plan.withOutput { output in
                try plan.withOutputGradient { try Loss.crossEntropy.evaluate(output: output, labels: labels, classes: 3, gradient: $0) }
            }
        }
        try backward(plan)
        return try network.trainableParameters.map { try $0.readGradient() }
    }

    /// One worker's share of 4 images out of a global 8, scaled by 4/8, summed with an identical worker:
    /// the gradient of the mean over all 8, which here is the gradient of the mean over the 4.
    func testScaledSharesSumToTheGlobalBatchMeanGradient() throws {
        var random = SeededRandom(seed: 9)
        let images = random.uniform(1, count: 4 * 36)
        let labels: [Int32] = [0, 2, 1, 2]
        let single = try gradients(of: try network(), images: images, labels: labels) { try $0.backward() }
        let network = try network()
        let parallel = try DataParallel(group: MirrorGroup(workers: 2), network: network, batchSize: 8, bucketBytes: 256)
        let summed = try gradients(of: network, images: images, labels: labels) { try parallel.backward($0, globalCount: 8) }
        for (index, (expected, actual)) in zip(single, summed).enumerated() {
            assertClose(actual, expected, tolerance: 1e-6, "gradient \(index)")
        }
    }

    /// Buckets are filled in reverse layer order and each starts as soon as backward has finished its layer,
    /// before the earlier layers' backward runs; all are waited for once, at the end.
    func testBucketsStartInReverseLayerOrderWhileBackwardRuns() throws {
        // Gradient sizes depend on the layouts oneDNN picks on this CPU (AVX-512 pads fc2's 3x8 weight to 16x16),
        // so the bucket capacity comes from them: exactly fc2.bias, fc2.weight and fc1.bias.
        let sizing = try network()
        _ = try sizing.plan(batchSize: 1, training: true)
        let bytes = sizing.trainableParameters.map { $0.gradient?.byteCount ?? 0 }
        let floats = bytes.map { $0 / MemoryLayout<Float>.size }
        let capacity = bytes[5] + bytes[4] + bytes[3]
        let network = try network()
        let group = MirrorGroup(workers: 2)
        let parallel = try DataParallel(group: group, network: network, batchSize: 2, bucketBytes: capacity)
        group.events = []
        var random = SeededRandom(seed: 3)
        _ = try gradients(of: network, images: random.uniform(1, count: 36), labels: [1]) { try parallel.backward($0, globalCount: 2) }
        XCTAssertEqual(network.trainableParameters.map { $0.gradient?.byteCount ?? 0 }, bytes)
        // Parameters conv.weight, conv.bias, fc1.weight, fc1.bias, fc2.weight, fc2.bias, into buckets from the last:
        // {fc2.bias, fc2.weight, fc1.bias}, {fc1.weight}, then conv's one or two by their sizes. After fc2's
        // backward the first bucket still waits for fc1's bias; after fc1's, two buckets start.
        let convolution = bytes[1] + bytes[0] <= capacity ? ["start \(floats[1] + floats[0])"] : ["start \(floats[1])", "start \(floats[0])"]
        XCTAssertEqual(parallel.bucketCount, 2 + convolution.count)
        XCTAssertEqual(group.events, ["advance", "start \(floats[5] + floats[4] + floats[3])", "start \(floats[2])", "advance"]
                                     + convolution + ["advance", "finish"])
    }

    /// The runner `zoo train` and `zoo bench` use: several workers share every batch; one process splits each
    /// batch across its cores (as `--replicas` asks, else by the automatic count), and a network with batch
    /// norm, which trains on the whole batch, still splits its inference.
    func testTheRunnerFollowsTheWorkersTheReplicasAndBatchNorm() throws {
        func runner(_ network: Network, group: DataParallelGroup?, replicas: Int?) throws -> BatchRunner {
            try DataParallel.runner(network: network, batchSize: 8, inferenceBatchSize: 8, group: group, replicas: replicas)
        }
        XCTAssertTrue(try runner(network(), group: MirrorGroup(workers: 2), replicas: nil) is DataParallel)
        XCTAssertEqual((try runner(network(), group: MirrorGroup(workers: 1), replicas: 2) as? CoreParallel)?.replicaCount, 2)
        let whole = try XCTUnwrap(try runner(network(), group: nil, replicas: 1) as? WholeBatch)
        XCTAssertNil(whole.inferenceSplit, "--replicas 1 splits nothing")
        let batchNorm = try XCTUnwrap(try runner(network(batchNorm: true), group: nil, replicas: nil) as? WholeBatch)
        let threads = OpenMPThreads.maximum
        XCTAssertEqual((batchNorm.inferenceSplit as? CoreParallel)?.replicaCount, threads > 1 ? threads : nil)
    }
}
