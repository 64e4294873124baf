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
    private let resume: Bool
    /// What went wrong at build time and in the last epoch (see `LearningCheck`), for the final line and the report.
    private let buildWarning: String?
    private var epochWarning: String?
    /// Under MPI only rank 0 writes the run folder (and holds its lock).
    private let writesFiles: Bool
    private let lock: RunFolderLock?
    /// What `init_from` loaded (nil when the run does not start from a checkpoint, or resumes).
    private var transfer: (source: String, result: WeightTransfer)?
    private let frozenLayers: [String]

    struct Outcome {
        let testAccuracy: Double
        let bestAccuracy: Double
        let epochs: Int
        let seconds: Double
        let interrupted: Bool
        /// The last epoch's warning that the model is not learning, or the build-time one.
        let warning: String?
    }

    static let metricsHeader = "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_sec,warning"

    /// `resume` continues from the run folder's last.safetensors. With a `communicator` of several ranks,
    /// each trains on its share of every batch (see `DataParallel`).
    init(config: TrainingConfig, registry: ArchitectureRegistry, runDirectory: String, resume: Bool, progress: ProgressOutput,
         communicator: Communicator? = nil, replicas: Int? = nil) throws {
        self.config = config
        self.runDirectory = runDirectory
        self.progress = progress
        self.resume = resume
        writesFiles = (communicator?.worker ?? 0) == 0
        architecture = try registry.architecture(named: config.model)
        try communicator?.requireSameRun(settings: config.resolvedYAML, architecture: architecture)
        // A registered dataset's shape is known without reading a file, so the model is built (and its shapes
        // checked) before any data is read; a folder's shape and classes come from its images.
        let folderData: Dataset?
        let images: ImageShape, classCount: Int
        switch config.dataset {
        case .builtIn(let name):
            (folderData, images, classCount) = (nil, ImageShape(channels: name.channels, height: name.height, width: name.width), name.classCount)
        case .folder:
            let data = try DatasetCatalog.load(config.dataset, dataDirectory: config.dataDirectory, warn: printWarning)
            (folderData, images, classCount) = (data, ImageShape(channels: data.train.channels, height: data.train.height, width: data.train.width),
                                                data.classNames.count)
        }
        let shape = images.after(config.transforms)
        network = try architecture.network(input: Shape([shape.channels, shape.height, shape.width]), numClasses: classCount,
                                           overrides: config.modelParameters, seed: config.seed, places: config.modelParameterPlaces.byKey)
        // Before the first plan and the optimizer, which then leave frozen parameters out.
        frozenLayers = try network.freeze(config.freeze)
        try MemoryBudget.check(network, batchSize: config.batchSize, training: true, what: "training \(architecture.name)")
        network.precision = try config.precision.resolve().precision
        dataset = try folderData ?? DatasetCatalog.load(config.dataset, dataDirectory: config.dataDirectory, warn: printWarning)
        let normalization = config.normalize ? dataset.defaultNormalization : nil
        let share = communicator?.share ?? .everything
        let (train, seed) = (dataset.train, config.seed)
        let trainSplit = config.trainLimit.map { train.balancedSubset(count: $0, seed: seed) } ?? train
        trainLoader = try BatchLoader(split: trainSplit, batchSize: config.batchSize, shuffle: true, seed: config.seed,
                                      transforms: config.transforms, normalization: normalization, share: share)
        testLoader = try BatchLoader(split: dataset.test, batchSize: config.batchSize, shuffle: false, seed: config.seed,
                                     transforms: config.transforms.filter(\.isDeterministic), normalization: normalization, share: share)
        trainer = Trainer(network: network, optimizer: try config.optimizer.make(parameters: network.namedParameters),
                          loss: config.loss(for: network))
        buildWarning = LearningCheck.buildWarning(network: network, loss: config.loss(for: network))
        trainer.labelSmoothing = config.labelSmoothing
        trainer.batchMixing = config.batchMixing
        trainer.testTimeAugmentation = config.testTimeAugmentation
        if config.schedule.stepsEveryBatch { trainer.batchSchedule = (config.schedule, config.optimizer.learningRate) }
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
        if resume {
            try restore()
        } else if let source = config.initFrom {
            let path = try resolveCheckpointPath(source)
            transfer = (source, try Checkpoint.read(path: path).loadMatching(into: network, path: path))
        }
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
        try checkStepsPerEpoch(checkpoint.metadata, path: checkpointPath)
        startEpoch = description.epoch
        bestAccuracy = description.bestTestAccuracy
        let rows = ((try? String(contentsOfFile: path("metrics.csv"), encoding: .utf8)) ?? "").split(separator: "\n").dropFirst()
        metricsRows = rows.prefix(startEpoch).map(String.init)
    }

    func run() throws -> Outcome {
        progress.line("zoo: training \(architecture.name) (\(grouped(network.parameterCount)) parameters) on \(config.dataset.shown) "
                      + "\(network.inputShape), \(dataset.classNames.count) classes, from \(dataset.location)")
        if let transfer {
            progress.line("initialised from \(transfer.source): " + transfer.result.lines.joined(separator: "; "))
        }
        if !frozenLayers.isEmpty {
            let trained = network.parameterLayers.filter(\.trains).map(\.name)
            progress.line("frozen: \(frozenLayers.joined(separator: ", ")); training: \(trained.joined(separator: ", ")) "
                          + "(\(grouped(network.trainableParameters.map(\.elementCount).reduce(0, +))) of \(grouped(network.parameterCount)) parameters)")
        }
        progress.line("run folder: \(runDirectory)" + (startEpoch > 0 ? " (resuming after epoch \(startEpoch))" : ""))
        progress.line(config.resolvedYAML(chosenLoss: trainer.loss).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        if let buildWarning { progress.line("warning: " + buildWarning) }
        if let tta = config.testTimeAugmentation {
            progress.line("tta: each test image is scored by the mean softmax over \(tta.viewCount) views (\(tta.views.map(\.rawValue).joined(separator: ", ")))")
        }
        if config.batchMixing != nil {
            progress.line("mixup/cutmix: train accuracy counts a mixed image right when the model picks its dominant label (the larger weight)")
        }
        guard startEpoch < config.epochs else {
            throw ZooError("this run has already trained \(startEpoch) of \(config.epochs) epochs", place: runDirectory,
                           hint: "pass --epochs with a larger number to train further")
        }
        // A resume's new epochs count (or log_every) becomes the run's config when its first new epoch is saved, so an
        // interrupted resume leaves config.yaml as it was.
        if writesFiles && !resume { try writeAtomically(config.resolvedYAML, to: path("config.yaml")) }
        // Under mpirun, Ctrl-C ends every rank (mpirun forwards it); ranks stopping at different steps would deadlock.
        if trainer.dataParallel == nil {
            InterruptSignal.install()
            trainer.shouldStop = { InterruptSignal.requested }
        }
        var totalSeconds = 0.0
        var lastAccuracy = 0.0
        for epoch in startEpoch..<config.epochs {
            let stepsPerEpoch = trainLoader.batchesPerEpoch
            let learningRate = config.schedule.position(base: config.optimizer.learningRate, step: epoch * stepsPerEpoch,
                                                        stepsPerEpoch: stepsPerEpoch).learningRate
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
                return Outcome(testAccuracy: lastAccuracy, bestAccuracy: max(bestAccuracy, 0), epochs: epoch, seconds: totalSeconds,
                               interrupted: true, warning: warning)
            }
            let evaluation = try trainer.evaluate(data: testLoader)
            lastAccuracy = evaluation.accuracy
            progress.line(String(format: "Epoch %d/%d: lr %.6g, train loss %.4f, accuracy %.2f%%, %@ images/s, %.1f s",
                                 epoch + 1, config.epochs, learningRate, result.loss, result.accuracy * 100,
                                 grouped(Int(result.imagesPerSecond)), result.seconds))
            progress.line(String(format: "Test set: Average loss: %.4f, Accuracy: %d/%d (%.2f%%)",
                                 evaluation.loss, evaluation.correct, evaluation.total, evaluation.accuracy * 100))
            epochWarning = LearningCheck.epochWarning(trainLoss: result.loss, testAccuracy: evaluation.accuracy, classes: dataset.classNames.count,
                                                      loss: trainer.loss, config: config)
            if let epochWarning { progress.line("warning: " + epochWarning) }
            metricsRows.append([String(epoch + 1), String(learningRate), String(result.loss), String(result.accuracy),
                                String(evaluation.loss), String(evaluation.accuracy), String(format: "%.3f", result.seconds),
                                String(format: "%.1f", result.imagesPerSecond),
                                (epochWarning ?? "").replacingOccurrences(of: ",", with: ";")].joined(separator: ","))
            if writesFiles { try writeAtomically(([Self.metricsHeader] + metricsRows).joined(separator: "\n") + "\n", to: path("metrics.csv")) }
            try recorder?.epochFinished(epoch, evaluation: evaluation, split: trainer.evaluationSplit, warnings: [buildWarning, epochWarning].compactMap { $0 })
            let isBest = evaluation.accuracy > bestAccuracy
            bestAccuracy = max(bestAccuracy, evaluation.accuracy)
            // Best before last: a kill between the two leaves best newer than what last records, never older.
            if isBest { try saveCheckpoint(to: path("best.safetensors"), completedEpochs: epoch + 1, testAccuracy: evaluation.accuracy) }
            try saveCheckpoint(to: path("last.safetensors"), completedEpochs: epoch + 1, testAccuracy: evaluation.accuracy)
            if writesFiles && resume && epoch == startEpoch { try writeAtomically(config.resolvedYAML, to: path("config.yaml")) }
        }
        progress.line(String(format: "best test accuracy %.2f%%; peak memory %@; checkpoints in %@",
                             bestAccuracy * 100, byteSize(peakResidentBytes()), runDirectory) + (warning.map { "; warning: " + $0 } ?? ""))
        return Outcome(testAccuracy: lastAccuracy, bestAccuracy: bestAccuracy, epochs: config.epochs - startEpoch,
                       seconds: totalSeconds, interrupted: false, warning: warning)
    }

    private var warning: String? { epochWarning ?? buildWarning }

    /// A checkpoint carries what `zoo eval` and `--resume` need: the architecture text, the dataset and its
    /// preprocessing, the class names and the resolved config.
    private func saveCheckpoint(to file: String, completedEpochs: Int, testAccuracy: Double?) throws {
        guard writesFiles else { return }
        let description = CheckpointDescription(architecture: architecture, config: config, network: network, dataset: dataset,
                                                epoch: completedEpochs, bestTestAccuracy: bestAccuracy, testAccuracy: testAccuracy)
        var metadata = try description.metadata
        metadata[CheckpointKey.stepsPerEpoch.rawValue] = String(trainLoader.batchesPerEpoch)
        try Checkpoint(network: network, optimizer: trainer.optimizer, metadata: metadata).write(to: file)
    }

    /// A schedule stepping per batch resumes at completed epochs x batches per epoch, exact only if that is unchanged.
    private func checkStepsPerEpoch(_ values: [String: String], path checkpointPath: String) throws {
        guard config.schedule.stepsEveryBatch, values[CheckpointKey.stepsPerEpoch.rawValue] != nil else { return }
        let saved = try CheckpointMetadata(values, path: checkpointPath).integer(.stepsPerEpoch, in: 1...Checkpoint.maximumCount)
        guard saved == trainLoader.batchesPerEpoch else {
            throw ZooError("the \(config.schedule.name) schedule steps every batch, but this run had \(saved) batches an epoch and the resume would have \(trainLoader.batchesPerEpoch)",
                           place: checkpointPath, hint: "resume with the run's batch_size, or start a new run")
        }
    }
}
