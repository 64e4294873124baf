import Foundation
import ZooConfig
import ZooCore
import ZooData
import ZooDistributed

/// One training run: builds the model for the dataset, trains and evaluates epoch by epoch, and keeps the
/// run folder (config.yaml, metrics.csv, last/best checkpoints) current with atomic writes, holding the
/// folder's lock meanwhile. A resume that fails leaves config.yaml, metrics and checkpoints as they were.
public final class TrainingSession {
    public let config: TrainingConfig
    public let architecture: Architecture
    public let network: Network
    public let dataset: Dataset
    public let trainer: Trainer
    public let runDirectory: String
    private let trainLoader: BatchLoader
    private let testLoader: BatchLoader
    /// The images `validation_split` holds out of the training set.
    private let validationLoader: BatchLoader?
    private let movingAverage: ExponentialMovingAverage?
    /// Picks best.safetensors (by validation when there is a split, never by the test set) and stops early.
    private var monitor: EpochMonitor
    private let progress: ProgressOutput
    /// Rank 0's alone under MPI.
    private let recorder: RunRecorder?
    private var metricsRows: [String] = []
    private var startEpoch = 0
    /// The test accuracy of best.safetensors' weights, for the summary line and the checkpoint's metadata.
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

    public struct Outcome {
        public let testAccuracy: Double
        public let bestAccuracy: Double
        public let epochs: Int
        public let seconds: Double
        public let interrupted: Bool
        /// The last epoch's warning that the model is not learning, or the build-time one.
        public let warning: String?
    }

    public static let metricsHeader = "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_sec,warning"

    /// `metricsHeader` with the validation and moving-average columns the run has, after `test_accuracy`.
    public static func metricsHeader(for config: TrainingConfig) -> String {
        let extra = EpochEvaluations.columns(validation: config.validationSplit != nil, movingAverage: config.exponentialMovingAverage != nil)
        return metricsHeader.replacingOccurrences(of: "test_accuracy,", with: (["test_accuracy"] + extra).joined(separator: ",") + ",")
    }

    /// `resume` continues from the run folder's last.safetensors. With a `communicator` of several ranks,
    /// each trains on its share of every batch (see `DataParallel`).
    public init(config: TrainingConfig, registry: ArchitectureRegistry, runDirectory: String, resume: Bool, progress: ProgressOutput,
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
        let (images, classCount, folderData) = try DatasetCatalog.inputDescription(config.dataset, dataDirectory: config.dataDirectory,
                                                                                   warn: progress.warning)
        let shape = images.after(config.transforms)
        network = try architecture.network(input: Shape([shape.channels, shape.height, shape.width]), numClasses: classCount,
                                           overrides: config.modelParameters, seed: config.seed, places: config.modelParameterPlaces.byKey)
        // Before the first plan and the optimizer, which then leave frozen parameters out.
        frozenLayers = try network.freeze(config.freeze)
        try MemoryBudget.check(network, batchSize: config.batchSize, training: true, what: "training \(architecture.name)")
        network.precision = try config.precision.resolve().precision
        dataset = try folderData ?? DatasetCatalog.load(config.dataset, dataDirectory: config.dataDirectory, warn: progress.warning)
        let normalization = config.normalize ? dataset.defaultNormalization : nil
        let share = communicator?.share ?? .everything
        let (train, seed) = (dataset.train, config.seed)
        var trainSplit = config.trainLimit.map { train.balancedSubset(count: $0, seed: seed) } ?? train
        let testTransforms = config.transforms.filter(\.isDeterministic)
        if let fraction = config.validationSplit {
            let validation: DatasetSplit
            (validation, trainSplit) = try Self.holdOut(fraction, of: trainSplit, seed: seed)
            validationLoader = try BatchLoader(split: validation, batchSize: config.batchSize, shuffle: false, seed: seed,
                                               transforms: testTransforms, normalization: normalization, share: share)
        } else {
            validationLoader = nil
        }
        trainLoader = try BatchLoader(split: trainSplit, batchSize: config.batchSize, shuffle: true, seed: config.seed,
                                      transforms: config.transforms, normalization: normalization, share: share)
        // Steps keep both cores busy until their update; the trainer says when (`prepareNext`).
        trainLoader.preparesWhenAsked = true
        testLoader = try BatchLoader(split: dataset.test, batchSize: config.batchSize, shuffle: false, seed: config.seed,
                                     transforms: testTransforms, normalization: normalization, share: share)
        monitor = EpochMonitor(metric: config.earlyStopping?.metric ?? (config.validationSplit == nil ? .testAccuracy : .valAccuracy),
                               minDelta: config.earlyStopping?.minDelta ?? 0, patience: config.earlyStopping?.patience)
        let network = self.network
        movingAverage = try config.exponentialMovingAverage.map { try ExponentialMovingAverage(settings: $0, network: network) }
        trainer = Trainer(network: network, optimizer: try config.optimizer.make(parameters: network.namedParameters),
                          loss: config.loss(for: network))
        buildWarning = LearningCheck.buildWarning(network: network, loss: config.loss(for: network))
        trainer.labelSmoothing = config.labelSmoothing
        trainer.batchMixing = config.batchMixing
        trainer.testTimeAugmentation = config.testTimeAugmentation
        trainer.movingAverage = movingAverage
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
                                                    transforms: testTransforms, normalization: normalization),
                              runDirectory: runDirectory)
            : nil
        if resume {
            try restore()
        } else if let source = config.initFrom {
            let path = try resolveCheckpointPath(source)
            transfer = (source, try Checkpoint.read(path: path).loadMatching(into: network, path: path))
        }
        // Every rank has read the same checkpoint; rank 0's weights are copied to all the same.
        trainer.runner = try DataParallel.runner(network: network, batchSize: config.batchSize, inferenceBatchSize: config.batchSize,
                                                 group: communicator, replicas: replicas)
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
        try checkpoint.load(into: network, path: checkpointPath, resuming: true)
        try restoreMovingAverage(from: checkpoint, path: checkpointPath)
        guard let optimizerState = checkpoint.optimizer else {
            throw ZooError("the checkpoint has no optimizer state", place: checkpointPath, hint: "start a new run instead")
        }
        try trainer.optimizer.restore(optimizerState)
        try checkStepsPerEpoch(checkpoint.metadata, path: checkpointPath)
        startEpoch = description.epoch
        bestAccuracy = description.bestTestAccuracy
        let metadata = CheckpointMetadata(checkpoint.metadata, path: checkpointPath)
        if checkpoint.metadata[CheckpointKey.monitor.rawValue] != nil {
            let saved = try metadata.json(.monitor, as: EpochMonitor.self)
            guard saved.metric == monitor.metric else { throw metadata.error(.monitor, "watches \(saved.metric.rawValue), but the run's config \(monitor.metric.rawValue)") }
            monitor = saved
        } else if monitor.metric == .testAccuracy, bestAccuracy >= 0 {
            // Written before the monitor was saved: best.safetensors was picked by test accuracy.
            monitor = EpochMonitor(metric: .testAccuracy, best: bestAccuracy)
        }
        if let stopped = monitor.stoppedEpoch {
            throw ZooError("this run stopped early after epoch \(stopped): \(monitor.metric.rawValue) had not improved for \(epochsWithoutImprovement)",
                           place: runDirectory, hint: "its last.safetensors holds the best epoch's weights; to train further, start a new run with --init-from")
        }
        recorder?.resumed(after: startEpoch)
        let rows = ((try? String(contentsOfFile: path("metrics.csv"), encoding: .utf8)) ?? "").split(separator: "\n").dropFirst()
        metricsRows = rows.prefix(startEpoch).map(String.init)
    }

    public func run() throws -> Outcome {
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
        if trainer.runner.share.workers == 1 {
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
            progress.line(String(format: "Epoch %d/%d: lr %.6g, train loss %.4f, accuracy %.2f%%, %@ images/s, %.1f s",
                                 epoch + 1, config.epochs, learningRate, result.loss, result.accuracy * 100,
                                 grouped(Int(result.imagesPerSecond)), result.seconds))
            // `evaluate_every`: the epochs in between only train; their rows leave the evaluations' columns empty.
            guard (epoch + 1) % config.evaluateEvery == 0 || epoch + 1 == config.epochs else {
                let columns = 2 + EpochEvaluations.columns(validation: validationLoader != nil, movingAverage: movingAverage != nil).count
                try recordEpoch(epoch, learningRate: learningRate, result: result, evaluationColumns: Array(repeating: "", count: columns))
                try recorder?.epochTrained()
                try saveLast(after: epoch, testAccuracy: nil)
                continue
            }
            let evaluations = try evaluate()
            let evaluation = evaluations.test
            progress.line(String(format: "Test set: Average loss: %.4f, Accuracy: %d/%d (%.2f%%)",
                                 evaluation.loss, evaluation.correct, evaluation.total, evaluation.accuracy * 100))
            if let validation = evaluations.validation {
                progress.line(String(format: "Validation: Average loss: %.4f, Accuracy: %d/%d (%.2f%%)",
                                     validation.loss, validation.correct, validation.total, validation.accuracy * 100))
            }
            let savesAverage = evaluations.averageScoresBetter(on: monitor.metric)
            // The test accuracy of the weights the checkpoint holds, which `zoo eval` of it gives.
            let savedAccuracy = (savesAverage ? evaluations.averagedTest ?? evaluation : evaluation).accuracy
            lastAccuracy = savedAccuracy
            if let averagedTest = evaluations.averagedTest {
                let validation = evaluations.averagedValidation.map { String(format: ", validation loss %.4f, accuracy %.2f%%", $0.loss, $0.accuracy * 100) } ?? ""
                progress.line(String(format: "EMA: test loss %.4f, accuracy %.2f%%", averagedTest.loss, averagedTest.accuracy * 100) + validation
                              + "; the checkpoint holds the \(savesAverage ? "moving average" : "trained weights") (\(monitor.metric.rawValue) "
                              + "\(shown(evaluations.score(monitor.metric, averaged: true))) against \(shown(evaluations.score(monitor.metric, averaged: false))))")
            }
            epochWarning = LearningCheck.epochWarning(trainLoss: result.loss, testAccuracy: evaluation.accuracy, classes: dataset.classNames.count,
                                                      loss: trainer.loss, config: config)
            if let epochWarning { progress.line("warning: " + epochWarning) }
            try recordEpoch(epoch, learningRate: learningRate, result: result,
                            evaluationColumns: [String(evaluation.loss), String(evaluation.accuracy)] + evaluations.values(savesAverage: savesAverage))
            try recorder?.epochFinished(epoch, evaluations: evaluations, stepsPerEpoch: trainLoader.batchesPerEpoch, runner: trainer.runner,
                                        warnings: [buildWarning, epochWarning].compactMap { $0 })
            let score = evaluations.score(monitor.metric, averaged: savesAverage) ?? .nan
            let isBest = monitor.record(score, epoch: epoch + 1)
            // Best before last: a kill between the two leaves best newer than what last records, never older.
            if isBest {
                bestAccuracy = savedAccuracy
                try saveCheckpoint(to: path("best.safetensors"), completedEpochs: epoch + 1, testAccuracy: savedAccuracy, savesAverage: savesAverage)
            }
            if let stopped = monitor.stoppedEpoch {
                lastAccuracy = bestAccuracy
                try stopEarly(after: stopped)
                break
            }
            try saveLast(after: epoch, testAccuracy: savedAccuracy, savesAverage: savesAverage)
        }
        let best = monitor.metric == .testAccuracy ? "best test accuracy" : "best \(monitor.metric.rawValue) \(shown(monitor.best)) after epoch \(monitor.bestEpoch), test accuracy there"
        progress.line(String(format: "%@ %.2f%%; peak memory %@; checkpoints in %@",
                             best, bestAccuracy * 100, byteSize(peakResidentBytes()), runDirectory) + (warning.map { "; warning: " + $0 } ?? ""))
        return Outcome(testAccuracy: lastAccuracy, bestAccuracy: bestAccuracy, epochs: (monitor.stoppedEpoch ?? config.epochs) - startEpoch,
                       seconds: totalSeconds, interrupted: false, warning: warning)
    }

    /// last.safetensors after `epoch`; a resume's config becomes the run's with its first new epoch.
    private func saveLast(after epoch: Int, testAccuracy: Double?, savesAverage: Bool = false) throws {
        try saveCheckpoint(to: path("last.safetensors"), completedEpochs: epoch + 1, testAccuracy: testAccuracy, savesAverage: savesAverage)
        if writesFiles && resume && epoch == startEpoch { try writeAtomically(config.resolvedYAML, to: path("config.yaml")) }
    }

    /// Appends the epoch's row to metrics.csv; `evaluationColumns` are those from `test_loss` on, before `seconds`.
    private func recordEpoch(_ epoch: Int, learningRate: Double, result: EpochResult, evaluationColumns: [String]) throws {
        metricsRows.append(([String(epoch + 1), String(learningRate), String(result.loss), String(result.accuracy)] + evaluationColumns
                            + [String(format: "%.3f", result.seconds), String(format: "%.1f", result.imagesPerSecond),
                               (epochWarning ?? "").replacingOccurrences(of: ",", with: ";")]).joined(separator: ","))
        if writesFiles { try writeAtomically(([Self.metricsHeader(for: config)] + metricsRows).joined(separator: "\n") + "\n", to: path("metrics.csv")) }
    }

    /// The test set and the validation split, for the trained weights and then for the moving average. The trained
    /// weights' test pass also finds the report's mistakes.
    private func evaluate() throws -> EpochEvaluations {
        func both(mistakeLimit: Int) throws -> (Evaluation, Evaluation?) {
            (try trainer.evaluate(data: testLoader, mistakeLimit: mistakeLimit), try validationLoader.map { try trainer.evaluate(data: $0) })
        }
        let (test, validation) = try both(mistakeLimit: recorder == nil ? 0 : RunRecorder.mistakeCount)
        let averaged = try movingAverage?.withAverages { try both(mistakeLimit: 0) }
        return EpochEvaluations(test: test, validation: validation, averagedTest: averaged?.0, averagedValidation: averaged?.1)
    }

    /// Keras' `restore_best_weights`: the best epoch's weights (and moving average) come back from best.safetensors
    /// and go into last.safetensors too, which records where the run stopped.
    private func stopEarly(after stopped: Int) throws {
        let bestPath = path("best.safetensors")
        let best = try Checkpoint.read(path: bestPath)
        try best.load(into: network, path: bestPath, resuming: true)
        try restoreMovingAverage(from: best, path: bestPath)
        let description = try CheckpointDescription(metadata: best.metadata, path: bestPath)
        try saveCheckpoint(to: path("last.safetensors"), completedEpochs: stopped, testAccuracy: description.testAccuracy,
                           savesAverage: best.metadata[CheckpointKey.weights.rawValue] == "ema")
        if writesFiles && resume { try writeAtomically(config.resolvedYAML, to: path("config.yaml")) }
        progress.line("early stopping: \(monitor.metric.rawValue) has not improved by more than \(monitor.minDelta) for \(epochsWithoutImprovement); "
                      + "stopped after epoch \(stopped) of \(config.epochs) and restored epoch \(monitor.bestEpoch)'s weights "
                      + "(\(monitor.metric.rawValue) \(shown(monitor.best))), which last.safetensors and best.safetensors hold")
    }

    private func restoreMovingAverage(from checkpoint: Checkpoint, path checkpointPath: String) throws {
        guard let movingAverage else { return }
        guard !checkpoint.movingAverage.isEmpty else {
            throw ZooError("the run averages its weights (`ema`), but the checkpoint holds no moving average", place: checkpointPath,
                           hint: "the checkpoint was written without `ema`; start a new run")
        }
        let updates = try CheckpointMetadata(checkpoint.metadata, path: checkpointPath).integer(.movingAverageUpdates, in: 0...Checkpoint.maximumCount)
        do {
            try movingAverage.restore(checkpoint.movingAverage, updates: updates)
        } catch let error as ZooError {
            throw ZooError(error.message, place: checkpointPath, hint: error.hint)
        }
    }

    /// `validation_split`'s share of the training images, the same number from each class, chosen by the seed.
    public static func holdOut(_ fraction: Double, of split: DatasetSplit, seed: UInt64) throws -> (validation: DatasetSplit, training: DatasetSplit) {
        let count = Int((fraction * Double(split.count)).rounded())
        guard count >= 1, count < split.count else {
            throw ZooError("validation_split \(fraction) of \(split.count) training images would hold out \(count) of them",
                           hint: "choose a validation_split that leaves at least one image on each side")
        }
        let (validation, training) = split.balancedPartition(count: count, seed: seed, stream: 0x5641_4C49_44)
        return (validation, training)
    }

    /// `patience` counts evaluations, which are epochs unless `evaluate_every` spaces them out.
    private var epochsWithoutImprovement: String {
        "\(monitor.wait) \(config.evaluateEvery == 1 ? "epoch" : "evaluation")\(monitor.wait == 1 ? "" : "s")"
    }

    private func shown(_ value: Double?) -> String {
        guard let value else { return "-" }
        return monitor.metric.higherIsBetter ? String(format: "%.2f%%", value * 100) : String(format: "%.4f", value)
    }

    private var warning: String? { epochWarning ?? buildWarning }

    /// A checkpoint carries what `zoo eval` and `--resume` need: the architecture text, the dataset and its
    /// preprocessing, the class names and the resolved config.
    /// With `ema`, the moving average goes in too, and is the checkpoint's own weights when `savesAverage`.
    private func saveCheckpoint(to file: String, completedEpochs: Int, testAccuracy: Double?, savesAverage: Bool = false) throws {
        guard writesFiles else { return }
        let description = CheckpointDescription(architecture: architecture, config: config, network: network, dataset: dataset,
                                                epoch: completedEpochs, bestTestAccuracy: bestAccuracy, testAccuracy: testAccuracy)
        var metadata = try description.metadata
        metadata[CheckpointKey.stepsPerEpoch.rawValue] = String(trainLoader.batchesPerEpoch)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        metadata[CheckpointKey.monitor.rawValue] = String(decoding: try encoder.encode(monitor), as: UTF8.self)
        var checkpoint = try Checkpoint(network: network, optimizer: trainer.optimizer, metadata: metadata)
        if let movingAverage {
            checkpoint.movingAverage = try movingAverage.tensors()
            checkpoint.metadata[CheckpointKey.movingAverageUpdates.rawValue] = String(movingAverage.updates)
            checkpoint.metadata[CheckpointKey.weights.rawValue] = savesAverage ? "ema" : "trained"
            if savesAverage { (checkpoint.parameters, checkpoint.trainedWeights) = (checkpoint.movingAverage, checkpoint.parameters) }
        }
        try checkpoint.write(to: file)
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
