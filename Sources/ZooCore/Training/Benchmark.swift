import CDNNL
import Foundation

/// Throughput of full training steps (forward, loss, backward, optimizer update) and of inference,
/// on synthetic data already in memory: the median of several timed windows after a warm-up.
public struct BenchmarkResult: Codable {
    public let batchSize: Int
    public let trainImagesPerSecond: Double
    public let inferImagesPerSecond: Double
    public let inferBatchSize: Int

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size"
        case trainImagesPerSecond = "train_images_per_sec"
        case inferImagesPerSecond = "infer_images_per_sec"
        case inferBatchSize = "infer_batch_size"
    }
}

public enum Benchmark {
    public static func run(network: Network, batchSize: Int, inferBatchSize: Int, steps: Int, windows: Int = 5,
                           optimizer: Optimizer) throws -> BenchmarkResult {
        try MemoryBudget.check(network, batchSize: max(batchSize, inferBatchSize), training: true, what: "benchmarking")
        let classes = network.outputShape.elementCount
        let train = try network.plan(batchSize: batchSize, training: true)
        var random = SeededRandom(seed: 1)
        let images = random.uniform(1, count: batchSize * network.inputShape.elementCount)
        let labels = (0..<batchSize).map { Int32($0 % classes) }
        train.withInput { input in for index in input.indices { input[index] = images[index] } }
        func trainStep() throws {
            try train.forward()
            _ = try labels.withUnsafeBufferPointer { labels in
                try train.withOutput { output in
                    try train.withOutputGradient { gradient in
                        try Loss.crossEntropy.evaluate(output: output, labels: labels, classes: classes, gradient: gradient)
                    }
                }
            }
            try train.backward()
            try optimizer.step()
        }
        let trainRate = try medianRate(images: batchSize, steps: steps, windows: windows, trainStep)

        let infer = try network.plan(batchSize: inferBatchSize, training: false)
        infer.withInput { input in for index in input.indices { input[index] = images[index % images.count] } }
        let inferRate = try medianRate(images: inferBatchSize, steps: max(1, steps / 4), windows: windows) { try infer.forward() }
        return BenchmarkResult(batchSize: batchSize, trainImagesPerSecond: trainRate, inferImagesPerSecond: inferRate,
                               inferBatchSize: inferBatchSize)
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
