import CDNNL
import Foundation

/// Throughput of full training steps (forward, loss, backward, optimizer update) and of inference,
/// on synthetic data already in memory: the median of several timed windows after a warm-up.
public struct BenchmarkResult: Codable {
    public let batchSize: Int
    public let trainImagesPerSecond: Double
    public let inferImagesPerSecond: Double
    public let inferBatchSize: Int
    /// Data-parallel runs: the processes, and the share of training time spent waiting for gradient sums
    /// after backward (the communication backward did not hide).
    public var ranks: Int?
    public var allreduceWaitFraction: Double?

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size"
        case trainImagesPerSecond = "train_images_per_sec"
        case inferImagesPerSecond = "infer_images_per_sec"
        case inferBatchSize = "infer_batch_size"
        case ranks
        case allreduceWaitFraction = "allreduce_wait_fraction"
    }
}

public enum Benchmark {
    /// Every batch runs through `runner`: with data parallelism each worker runs its share of every batch and
    /// the rates count the whole batches.
    public static func run(runner: BatchRunner, batchSize: Int, inferBatchSize: Int, steps: Int, windows: Int = 5,
                           optimizer: Optimizer) throws -> BenchmarkResult {
        let network = runner.network
        try MemoryBudget.check(network, batchSize: max(batchSize, inferBatchSize), training: true, what: "benchmarking")
        let classes = network.outputShape.elementCount
        let share = runner.share
        let (localBatch, localInferBatch) = (share.range(inBatchOf: batchSize).count, share.range(inBatchOf: inferBatchSize).count)
        guard localBatch > 0, localInferBatch > 0 else {
            throw ZooError("a batch of \(min(batchSize, inferBatchSize)) cannot be shared by \(share.workers) ranks",
                           hint: "use a batch of at least \(share.workers)")
        }
        let images = syntheticImages(count: localBatch, shape: network.inputShape)
        let batch = LabeledBatch(count: localBatch, images: images, labels: (0..<localBatch).map { Int32($0 % classes) }, globalCount: batchSize)
        func trainStep() throws {
            _ = try runner.forwardLossBackward(batch, loss: .crossEntropy, classes: classes, labelSmoothing: 0)
            try optimizer.step()
        }
        let trainStart = DispatchTime.now().uptimeNanoseconds
        let trainRate = try medianRate(images: batchSize, steps: steps, windows: windows, trainStep)
        let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - trainStart) / 1e9

        let inferImages = (0..<(localInferBatch * network.inputShape.elementCount)).map { images[$0 % images.count] }
        func infer() throws { try runner.infer(inferImages, count: localInferBatch) { _, _ in } }
        let inferRate = try medianRate(images: inferBatchSize, steps: max(1, steps / 4), windows: windows, infer)
        return BenchmarkResult(batchSize: batchSize, trainImagesPerSecond: trainRate, inferImagesPerSecond: inferRate,
                               inferBatchSize: inferBatchSize, ranks: runner.communicationSeconds.map { _ in share.workers },
                               allreduceWaitFraction: runner.communicationSeconds.map { $0 / trainSeconds })
    }

    /// Images per second: one warm-up window, then the median of `windows` timed windows of `steps` steps.
    private static func medianRate(images: Int, steps: Int, windows: Int, _ step: () throws -> Void) throws -> Double {
        for _ in 0..<steps { try step() }
        var rates: [Double] = []
        for _ in 0..<windows {
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<steps { try step() }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(images * steps) / seconds)
        }
        return rates.sorted()[rates.count / 2]
    }
}

extension Benchmark {
    /// The machine's practical ceiling: oneDNN's sgemm on an n x n problem, best of `repetitions`.
    public static func sgemmGigaflops(size: Int, repetitions: Int) throws -> Double {
        var random = SeededRandom(seed: 3)
        let a = random.uniform(1, count: size * size), b = random.uniform(1, count: size * size)
        var c = [Float](repeating: 0, count: size * size)
        var best = Double.infinity
        let n = Int64(size)
        for _ in 0...repetitions {
            let start = DispatchTime.now().uptimeNanoseconds
            try check(dnnl_sgemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), n, n, n, 1, a, n, b, n, 0, &c, n), "dnnl_sgemm")
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return 2 * Double(size * size) * Double(size) / best / 1e9
    }
}

extension Benchmark {
    /// Inference images/s of one network in each of `precisions`, timed in alternating windows so that a shared
    /// machine's load weighs on each alike; the median of each precision's windows, after a warm-up window each.
    public static func inferenceRates(network: Network, precisions: [Precision], batchSize: Int, steps: Int, windows: Int) throws -> [Double] {
        let images = syntheticImages(count: batchSize, shape: network.inputShape)
        let plans = try precisions.map { precision -> Plan in
            network.precision = precision
            let plan = try network.plan(batchSize: batchSize, training: false)
            plan.withInput { input in for index in input.indices { input[index] = images[index] } }
            return plan
        }
        var rates = [[Double]](repeating: [], count: plans.count)
        for window in 0...windows {
            for (index, plan) in plans.enumerated() {
                let start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<steps { try plan.forward() }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if window > 0 { rates[index].append(Double(batchSize * steps) / seconds) }
            }
        }
        return rates.map { $0.sorted()[$0.count / 2] }
    }

    /// Quantizes a network for speed measurements only: activation scales from the benchmark's synthetic images.
    public static func quantizeOnSyntheticImages(_ network: Network, count: Int) throws {
        let images = syntheticImages(count: count, shape: network.inputShape)
        let labels = [Int32](repeating: 0, count: count)
        let ranges = try network.calibrate(data: SingleBatch(LabeledBatch(count: count, images: images, labels: labels)))
        network.quantization = try NetworkQuantization(network: network, ranges: ranges)
    }

    /// The images every benchmark runs on: uniform in [-1, 1], the same for every run.
    static func syntheticImages(count: Int, shape: Shape) -> [Float] {
        var random = SeededRandom(seed: 1)
        return random.uniform(1, count: count * shape.elementCount)
    }
}

/// One batch as a whole data set (calibration on the benchmark's images).
private final class SingleBatch: BatchSource {
    private let batch: LabeledBatch
    private var given = false

    init(_ batch: LabeledBatch) { self.batch = batch }

    var batchesPerEpoch: Int { 1 }
    func start(epoch: Int) { given = false }
    func nextBatch() -> LabeledBatch? {
        defer { given = true }
        return given ? nil : batch
    }
}
