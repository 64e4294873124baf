import Foundation
import ZooConfig
import ZooCore
import ZooData
import ZooDistributed

/// One training run: builds the model for the dataset, trains and evaluates epoch by epoch, and keeps the
/// run folder (config.yaml, metrics.csv, last/best checkpoints) current with atomic writes, holding the
/// folder's lock meanwhile. A resume that fails leaves config.yaml, metrics and checkpoints as they were.
final class TrainingSession {
    let config: TrainingConfig
    let architecture: Architecture
    let network: Network
    let dataset: Dataset
    let trainer: Trainer
    let runDirectory: String
    private let trainLoader: BatchLoader
    private let testLoader: BatchLoader
    private let progress: ProgressOutput
    /// Rank 0's alone under MPI.
    private let recorder: RunRecorder?
    private var metricsRows: [String] = []
    private var startEpoch = 0
    private var bestAccuracy = -1.0
    /// Under MPI only rank 0 writes the run folder (and holds its lock).
    private let writesFiles: Bool
    private let lock: RunFolderLock?

    struct Outcome {
        let testAccuracy: Double
        let bestAccuracy: Double
        let epochs: Int
        let seconds: Double
        let interrupted: Bool
    }

    static let metricsHeader = "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_sec"

    /// `resume` continues from the run folder's last.safetensors. With a `communicator` of several ranks,
    /// each trains on its share of every batch (see `DataParallel`).
    init(config: TrainingConfig, registry: ArchitectureRegistry, runDirectory: String, resume: Bool, progress: ProgressOutput,
         communicator: Communicator? = nil, replicas: Int? = nil) throws {
        self.config = config
        self.runDirectory = runDirectory
        self.progress = progress
        writesFiles = (communicator?.worker ?? 0) == 0
        architecture = try registry.architecture(named: config.model)
        try communicator?.requireSameRun(settings: config.resolvedYAML, architecture: architecture)
        let shape = DatasetCatalog.outputShape(of: config.dataset, transforms: config.transforms)
        // The model is built (and its shapes checked) before any data is read.
        network = try architecture.network(input: Shape([shape.channels, shape.height, shape.width]), numClasses: config.dataset.classCount,
                                           overrides: config.modelParameters, seed: config.seed)
        try MemoryBudget.check(network, batchSize: config.batchSize, training: true, what: "training \(architecture.name)")
        network.precision = try config.precision.resolve().precision
        dataset = try DatasetCatalog.load(config.dataset, dataDirectory: config.dataDirectory)
        let normalization = config.normalize ? dataset.defaultNormalization : nil
        let share = communicator?.share ?? .everything
        trainLoader = try BatchLoader(split: dataset.train, batchSize: config.batchSize, shuffle: true, seed: config.seed,
                                      transforms: config.transforms, normalization: normalization, share: share)
        testLoader = try BatchLoader(split: dataset.test, batchSize: config.batchSize, shuffle: false, seed: config.seed,
                                     transforms: config.transforms.filter(\.isDeterministic), normalization: normalization, share: share)
        trainer = Trainer(network: network, optimizer: try config.optimizer.make(parameters: network.namedParameters),
                          loss: config.loss(for: network))
        if writesFiles {
            do {
                try FileManager.default.createDirectory(atPath: runDirectory, withIntermediateDirectories: true)
            } catch {
                throw fileSystemError("create the run folder", path: runDirectory, error: error)
            }
            lock = try RunFolderLock(folder: runDirectory)
            lock?.removeLeftoverTemporaryFiles()
        } else {
            lock = nil
        }
        // The report's mistakes come from the whole test set, in order, whatever this rank's share.
        recorder = writesFiles
            ? try RunRecorder(config: config, architecture: architecture, network: network, dataset: dataset,
                              testLoader: share == .everything ? testLoader
                                  : try BatchLoader(split: dataset.test, batchSize: config.batchSize, shuffle: false, seed: config.seed,
                                                    transforms: config.transforms.filter(\.isDeterministic), normalization: normalization),
                              runDirectory: runDirectory)
            : nil
        if resume { try restore() }
        // Every rank has read the same checkpoint; rank 0's weights are copied to all the same.
        if let communicator, communicator.workers > 1 {
            trainer.dataParallel = try DataParallel(group: communicator, network: network, batchSize: config.batchSize)
        } else {
            trainer.coreParallel = try CoreParallel.make(network: network, batchSize: config.batchSize, replicas: replicas)
            if trainer.coreParallel == nil && replicas == nil {
                trainer.inferenceSplit = try CoreParallel.inferenceSplit(of: network, trainingBatchSize: config.batchSize,
                                                                         batchSize: config.batchSize)
            }
        }
    }

    private func path(_ file: String) -> String { (runDirectory as NSString).appendingPathComponent(file) }

    private func restore() throws {
        let checkpointPath = path("last.safetensors")
        guard FileManager.default.fileExists(atPath: checkpointPath) else {
            throw ZooError("there is no last.safetensors to resume from", place: runDirectory,
                           hint: "a run folder gets one at the end of its first epoch; start a new run instead")
        }
        let checkpoint = try Checkpoint.read(path: checkpointPath)
        let description = try CheckpointDescription(metadata: checkpoint.metadata, path: checkpointPath)
        try checkpoint.load(into: network, path: checkpointPath)
        guard let optimizerState = checkpoint.optimizer else {
            throw ZooError("the checkpoint has no optimizer state", place: checkpointPath, hint: "start a new run instead")
        }
        try trainer.optimizer.restore(optimizerState)
        startEpoch = description.epoch
        bestAccuracy = description.bestTestAccuracy
        let rows = ((try? String(contentsOfFile: path("metrics.csv"), encoding: .utf8)) ?? "").split(separator: "\n").dropFirst()
        metricsRows = rows.prefix(startEpoch).map(String.init)
    }

    func run() throws -> Outcome {
        progress.line("zoo: training \(architecture.name) (\(grouped(network.parameterCount)) parameters) on \(config.dataset.rawValue) "
                      + "\(network.inputShape), \(config.dataset.classCount) classes, from \(dataset.location)")
        progress.line("run folder: \(runDirectory)" + (startEpoch > 0 ? " (resuming after epoch \(startEpoch))" : ""))
        progress.line(config.resolvedYAML.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        guard startEpoch < config.epochs else {
            throw ZooError("this run has already trained \(startEpoch) of \(config.epochs) epochs", place: runDirectory,
                           hint: "pass --epochs with a larger number to train further")
        }
        // A resume with new overrides (say --epochs) is the run's config from now on.
        if writesFiles { try writeAtomically(config.resolvedYAML, to: path("config.yaml")) }
        // Under mpirun, Ctrl-C ends every rank (mpirun forwards it); ranks stopping at different steps would deadlock.
        if trainer.dataParallel == nil {
            InterruptSignal.install()
            trainer.shouldStop = { InterruptSignal.requested }
        }
        var totalSeconds = 0.0
        var lastAccuracy = 0.0
        for epoch in startEpoch..<config.epochs {
            let learningRate = config.schedule.learningRate(base: config.optimizer.learningRate, epoch: epoch)
            trainer.optimizer.learningRate = learningRate
            let result: EpochResult
            do {
                result = try trainer.trainEpoch(epoch, data: trainLoader) {
                    progress.step($0, epochs: config.epochs)
                    recorder?.step($0, learningRate: learningRate)
                }
            } catch let error as ZooError {
                let kept = epoch > 0 ? "the last good checkpoint is \(path("last.safetensors")) (epoch \(epoch))" : "no checkpoint was written"
                throw ZooError(error.message + "; " + kept, hint: error.hint)
            }
            progress.finishEpoch()
            totalSeconds += result.seconds
            if result.interrupted {
                try saveCheckpoint(to: path("interrupted.safetensors"), completedEpochs: epoch, testAccuracy: nil)
                progress.line("interrupted in epoch \(epoch + 1): weights saved to \(path("interrupted.safetensors")); "
                              + (epoch > 0 ? "`zoo train --resume \(runDirectory)` continues after epoch \(epoch)" : "no epoch was completed"))
                return Outcome(testAccuracy: lastAccuracy, bestAccuracy: max(bestAccuracy, 0), epochs: epoch, seconds: totalSeconds, interrupted: true)
            }
            let evaluation = try trainer.evaluate(data: testLoader)
            lastAccuracy = evaluation.accuracy
            progress.line(String(format: "Epoch %d/%d: lr %.6g, train loss %.4f, accuracy %.2f%%, %@ images/s, %.1f s",
                                 epoch + 1, config.epochs, learningRate, result.loss, result.accuracy * 100,
                                 grouped(Int(result.imagesPerSecond)), result.seconds))
            progress.line(String(format: "Test set: Average loss: %.4f, Accuracy: %d/%d (%.2f%%)",
                                 evaluation.loss, evaluation.correct, evaluation.total, evaluation.accuracy * 100))
            metricsRows.append([String(epoch + 1), String(learningRate), String(result.loss), String(result.accuracy),
                                String(evaluation.loss), String(evaluation.accuracy), String(format: "%.3f", result.seconds),
                                String(format: "%.1f", result.imagesPerSecond)].joined(separator: ","))
            if writesFiles { try writeAtomically(([Self.metricsHeader] + metricsRows).joined(separator: "\n") + "\n", to: path("metrics.csv")) }
            try recorder?.epochFinished(epoch, evaluation: evaluation, split: trainer.evaluationSplit)
            let isBest = evaluation.accuracy > bestAccuracy
            bestAccuracy = max(bestAccuracy, evaluation.accuracy)
            // Best before last: a kill between the two leaves best newer than what last records, never older.
            if isBest { try saveCheckpoint(to: path("best.safetensors"), completedEpochs: epoch + 1, testAccuracy: evaluation.accuracy) }
            try saveCheckpoint(to: path("last.safetensors"), completedEpochs: epoch + 1, testAccuracy: evaluation.accuracy)
        }
        progress.line(String(format: "best test accuracy %.2f%%; peak memory %@; checkpoints in %@",
                             bestAccuracy * 100, byteSize(peakResidentBytes()), runDirectory))
        return Outcome(testAccuracy: lastAccuracy, bestAccuracy: bestAccuracy, epochs: config.epochs - startEpoch,
                       seconds: totalSeconds, interrupted: false)
    }

    /// A checkpoint carries what `zoo eval` and `--resume` need: the architecture text, the dataset and its
    /// preprocessing, the class names and the resolved config.
    private func saveCheckpoint(to file: String, completedEpochs: Int, testAccuracy: Double?) throws {
        guard writesFiles else { return }
        let description = CheckpointDescription(architecture: architecture, config: config, network: network, dataset: dataset,
                                                epoch: completedEpochs, bestTestAccuracy: bestAccuracy, testAccuracy: testAccuracy)
        try Checkpoint(network: network, optimizer: trainer.optimizer, metadata: try description.metadata).write(to: file)
    }
}
