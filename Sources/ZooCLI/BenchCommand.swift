import ArgumentParser
import Foundation
import ZooConfig
import ZooCore
import ZooData
import ZooDistributed
import ZooTraining

/// `zoo bench MODEL`: training and inference images/s on in-memory data; `--sgemm` measures the machine's ceiling.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure training and inference throughput of a model, or oneDNN's sgemm ceiling.")

    @Argument(help: "A zoo name or architecture file (random weights), or a checkpoint: a .safetensors file, a run folder or shipped weights (lenet@mnist); a checkpoint from `zoo quantize` is measured in its own int8 plan.")
    var model: String?
    @OptionGroup var datasetOption: DatasetOption
    // `--batch-size` as `zoo train` spells it; `--batch` stays for scripts written before.
    @Option(name: [.customLong("batch-size"), .customLong("batch")], help: "Training batch size.") var batch = 64
    @Option(name: .customLong("infer-batch"), help: "Inference batch size (default: the training batch).") var inferBatch: Int?
    @Option(help: "Steps per timed window.") var steps = 20
    @Option(help: "Timed windows; the median is reported.") var windows = 5
    @Flag(help: "Measure oneDNN sgemm GFLOP/s on a square matrix instead.") var sgemm = false
    @Option(help: "Matrix size for --sgemm.") var size = 2048
    @Flag(help: "Print oneDNN's version and the implementation of every primitive.") var verbose = false
    @OptionGroup var jsonOption: JSONOption
    @OptionGroup var memory: MemoryOption
    @OptionGroup var replicasOption: ReplicasOption
    @OptionGroup var precisionOption: PrecisionOption

    struct Report: Encodable {
        let model: String
        let dataset: String
        let parameters: Int
        let result: BenchmarkResult
        let peakResidentBytes: Int
        let threads: String
        let precision: String
        let precisionReason: String

        func encode(to encoder: Encoder) throws {
            try result.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(model, forKey: .model)
            try container.encode(dataset, forKey: .dataset)
            try container.encode(parameters, forKey: .parameters)
            try container.encode(peakResidentBytes, forKey: .peakResidentBytes)
            try container.encode(threads, forKey: .threads)
            try container.encode(precision, forKey: .precision)
            try container.encode(precisionReason, forKey: .precisionReason)
        }

        enum CodingKeys: String, CodingKey {
            case model, dataset, parameters, threads, precision
            case precisionReason = "precision_reason"
            case peakResidentBytes = "peak_resident_bytes"
        }
    }

    func run() throws {
        try withMPIWhenLaunched { communicator in
            try memory.apply()
            let threads = ProcessInfo.processInfo.environment["OMP_NUM_THREADS"] ?? "all cores"
            if sgemm {
                let gigaflops = try Benchmark.sgemmGigaflops(size: size, repetitions: 5)
                guard communicator?.worker ?? 0 == 0 else { return }
                if jsonOption.json { return try printJSON(["sgemm_gflops": gigaflops, "size": Double(size)]) }
                return print(String(format: "oneDNN %@ sgemm %dx%d: %.1f GFLOP/s (threads: %@)", Device.libraryVersion, size, size, gigaflops, threads))
            }
            guard let model else { throw ZooError("name a model to benchmark (see `zoo list`), or pass --sgemm") }
            let (architecture, dataset, network, checkpoint) = try benchedNetwork(model)
            let (precision, precisionReason) = try precisionOption.resolve(fallback: network.quantization == nil ? .fp32 : .int8)
            if precision == .int8 {
                return try benchmarkInt8(network: network, name: architecture.name, dataset: dataset, checkpoint: checkpoint, reason: precisionReason,
                                         isWorker: communicator?.worker ?? 0 != 0)
            }
            network.precision = precision
            let optimizer = try SGD(parameters: network.namedParameters, learningRate: 0.01, momentum: 0.9)
            if let communicator, communicator.workers > 1 {
                try communicator.requireSameRun(settings: CommandLine.arguments.dropFirst().joined(separator: " "), architecture: architecture)
            }
            let runner = try DataParallel.runner(network: network, batchSize: batch, inferenceBatchSize: inferBatch ?? batch, group: communicator,
                                                 replicas: replicasOption.replicas)
            let result = try Benchmark.run(runner: runner, batchSize: batch, inferBatchSize: inferBatch ?? batch, steps: steps,
                                           windows: windows, optimizer: optimizer)
            // One report for the job: the rates already count every rank's images.
            guard communicator?.worker ?? 0 == 0 else { return }
            let report = Report(model: architecture.name, dataset: dataset, parameters: network.parameterCount, result: result,
                                peakResidentBytes: peakResidentBytes(), threads: threads, precision: precision.rawValue,
                                precisionReason: precisionReason)
            if jsonOption.json { return try printJSON(report) }
            print("\(architecture.name) on \(dataset) \(network.inputShape), \(grouped(network.parameterCount)) parameters, oneDNN \(Device.libraryVersion), threads: \(threads)")
            print("precision: \(precision.rawValue) (\(precisionReason))")
            print("training:  \(grouped(Int(result.trainImagesPerSecond))) images/s (batch \(batch), SGD momentum"
                  + splitDescription(runner) + ")"
                  + (result.ranks.map { ranks in String(format: " on %d ranks, %.1f%% of it waiting for gradient sums", ranks, (result.allreduceWaitFraction ?? 0) * 100) } ?? ""))
            print("inference: \(grouped(Int(result.inferImagesPerSecond))) images/s (batch \(result.inferBatchSize)"
                  + splitDescription((runner as? WholeBatch)?.inferenceSplit ?? runner) + ")")
            print("peak memory: \(byteSize(report.peakResidentBytes))")
            if verbose { printImplementations(try network.plan(batchSize: batch, training: true)) }
        }
    }

    /// A checkpoint's network (its dataset's name) when `model` names one, else a fresh network of the architecture
    /// for --dataset.
    private func benchedNetwork(_ model: String) throws -> (architecture: Architecture, dataset: String, network: Network, checkpoint: String?) {
        var isDirectory: ObjCBool = false
        if model.hasSuffix(".safetensors") || WeightsCatalog.isName(model)
            || (FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) && isDirectory.boolValue) {
            let checkpoint = try resolveCheckpointPath(model)
            let restored = try RestoredModel(path: checkpoint)
            return (restored.architecture, restored.description.dataset.name, restored.network, checkpoint)
        }
        let input = try datasetOption.dataset.input
        let architecture = try ArchitectureRegistry().architecture(named: model)
        return (architecture, input.name, try architecture.network(dataset: input), nil)
    }

    private func splitDescription(_ runner: BatchRunner) -> String {
        (runner as? CoreParallel).map { ", split across \($0.replicaCount) single-threaded replicas" } ?? ""
    }

    private func printImplementations(_ plan: Plan) {
        for implementation in plan.implementations {
            print("  layer \(implementation.layer): \(implementation.operation) -> \(implementation.implementation)")
        }
    }

    struct Int8Report: Encodable {
        let model: String
        let dataset: String
        let batchSize: Int
        let float32ImagesPerSecond: Double
        let int8ImagesPerSecond: Double
        let precisionReason: String
        let checkpoint: String?
        let int8Weights: String

        enum CodingKeys: String, CodingKey {
            case model, dataset, checkpoint
            case int8Weights = "int8_weights"
            case batchSize = "infer_batch_size", float32ImagesPerSecond = "fp32_infer_images_per_sec"
            case int8ImagesPerSecond = "int8_infer_images_per_sec", precisionReason = "precision_reason"
        }
    }

    /// int8 is inference only: a quantized checkpoint runs its own int8 plan; any other network's weights (random,
    /// or a float32 checkpoint's) are quantized on the benchmark's images (speed does not depend on the values).
    /// Float32 and int8 inference are timed in alternating windows of one run.
    private func benchmarkInt8(network: Network, name: String, dataset: String, checkpoint: String?, reason: String, isWorker: Bool) throws {
        let batchSize = inferBatch ?? batch
        try MemoryBudget.check(network, batchSize: batchSize, training: false, what: "benchmarking")
        let quantized = network.quantization != nil
        if !quantized { try Benchmark.quantizeOnSyntheticImages(network, count: batchSize) }
        let weights = quantized ? "the checkpoint's int8 weights and calibrated scales"
            : "\(checkpoint == nil ? "random weights" : "the checkpoint's float32 weights"), quantized on the benchmark's images"
        let rates = try Benchmark.inferenceRates(network: network, precisions: [.fp32, .int8], batchSize: batchSize, steps: max(1, steps / 4),
                                                 windows: windows)
        guard !isWorker else { return }
        let report = Int8Report(model: name, dataset: dataset, batchSize: batchSize, float32ImagesPerSecond: rates[0], int8ImagesPerSecond: rates[1],
                                precisionReason: reason, checkpoint: checkpoint, int8Weights: weights)
        if jsonOption.json { return try printJSON(report) }
        print("\(name) on \(dataset), oneDNN \(Device.libraryVersion), threads: \(ProcessInfo.processInfo.environment["OMP_NUM_THREADS"] ?? "all cores")")
        print("precision: int8 (\(reason)); \(weights); training is not measured in int8")
        print(String(format: "inference: fp32 %@ images/s, int8 %@ images/s, int8/fp32 %.2fx (batch %d, alternating windows)",
                     grouped(Int(rates[0])), grouped(Int(rates[1])), rates[1] / rates[0], batchSize))
        if verbose { printImplementations(try network.plan(batchSize: batchSize, training: false)) }
    }
}
