import Foundation
import ZooConfig
import ZooCore
import ZooData
import ZooReport

/// What a run folder shows besides metrics.csv: TensorBoard event files (`train/loss`, `train/accuracy`,
/// `train/lr` per logged step, `test/loss`, `test/accuracy` per epoch, and `val/`, `ema_test/`, `ema_val/` when the
/// run has them, on one global step axis), steps.csv (the logged steps, for the report's curves) and report.html,
/// rewritten atomically after each epoch. TrainingSession calls it after each step and epoch.
package final class RunRecorder {
    package static let mistakeCount = 32

    private let config: TrainingConfig
    private let architecture: Architecture
    private let network: Network
    private let dataset: Dataset
    private let testLoader: BatchLoader
    private let runDirectory: String
    private let events: TensorBoardEventWriter
    /// A write error inside the (non-throwing) step callback, raised at the end of the epoch.
    private var stepError: Error?
    private var steps: [StepMetrics] = []

    package init(config: TrainingConfig, architecture: Architecture, network: Network, dataset: Dataset, testLoader: BatchLoader,
         runDirectory: String) throws {
        (self.config, self.architecture, self.network, self.dataset) = (config, architecture, network, dataset)
        (self.testLoader, self.runDirectory) = (testLoader, runDirectory)
        events = try TensorBoardEventWriter(directory: runDirectory)
    }

    package func step(_ report: StepReport, learningRate: Double) {
        guard stepError == nil, report.step % max(config.logEvery, 1) == 0 || report.step == report.stepsPerEpoch else { return }
        let step = report.epoch * report.stepsPerEpoch + report.step
        do {
            try events.scalar("train/loss", report.loss, step: step)
            try events.scalar("train/accuracy", report.accuracy, step: step)
            try events.scalar("train/lr", learningRate, step: step)
            steps.append(StepMetrics(position: Double(step) / Double(max(report.stepsPerEpoch, 1)), learningRate: learningRate,
                                     trainLoss: report.loss, trainAccuracy: report.accuracy))
        } catch {
            stepError = error
        }
    }

    /// A resume keeps the steps of the epochs it continues after.
    package func resumed(after epochs: Int) {
        let csv = (try? String(contentsOfFile: path("steps.csv"), encoding: .utf8)) ?? ""
        steps = StepMetrics.parse(csv: csv).filter { $0.position <= Double(epochs) }
    }

    /// After an epoch that was not evaluated (`evaluate_every`): steps.csv only; the page waits for the next evaluation.
    package func epochTrained() throws {
        if let stepError { throw stepError }
        try writeAtomically(StepMetrics.csv(steps), to: path("steps.csv"))
    }

    /// After metrics.csv has this epoch's row: steps.csv, the evaluations' scalars, then a new report.html. `runner` is
    /// the training's: the mistakes are its test evaluation's (under MPI, its plans find them in a pass of their own); `warnings` head the page.
    package func epochFinished(_ epoch: Int, evaluations: EpochEvaluations, stepsPerEpoch: Int, runner: BatchRunner, warnings: [String] = []) throws {
        try epochTrained()
        // Epoch n ends at step n x (training batches per epoch), the training scalars' axis.
        let step = (epoch + 1) * stepsPerEpoch
        for (prefix, evaluation) in evaluations.tagged {
            try events.scalar("\(prefix)/loss", evaluation.loss, step: step)
            try events.scalar("\(prefix)/accuracy", evaluation.accuracy, step: step)
        }
        let evaluation = evaluations.test
        let csv = (try? String(contentsOfFile: path("metrics.csv"), encoding: .utf8)) ?? ""
        let history = EpochMetrics.parse(csv: csv)
        let page = ReportPage(
            title: (config.name == architecture.name ? "" : "\(config.name): ") + "\(architecture.name) on \(config.dataset.shown)",
            subtitle: "\(runDirectory) · \(grouped(network.parameterCount)) parameters · input \(network.inputShape) · "
                + "\(config.optimizer.name.rawValue) · \(history.count) of \(config.epochs) epochs",
            history: history, classNames: dataset.classNames, confusion: evaluation.confusion,
            mistakes: try mistakes(evaluation, runner: runner), filters: try Tiles.firstConvolutionFilters(network.firstConvolutionWeight()), config: config.resolvedYAML,
            summaryRows: summaryRows, facts: facts(history), warnings: warnings, steps: steps)
        try writeAtomically(page.html, to: path("report.html"))
    }

    private func path(_ file: String) -> String { (runDirectory as NSString).appendingPathComponent(file) }

    /// The first test images the model gets wrong, in test-set order, with the predicted class's probability: those
    /// the epoch's evaluation found, or, when it saw only this worker's share (MPI), from a pass over the whole test set.
    private func mistakes(_ evaluation: Evaluation, runner: BatchRunner) throws -> [Mistake] {
        let loss = config.loss(for: network)
        let scored = runner.share == .everything ? evaluation.mistakes
            : try network.evaluate(data: testLoader, loss: loss, split: runner, testTimeAugmentation: config.testTimeAugmentation,
                                   mistakeLimit: Self.mistakeCount).mistakes
        // Test-time augmentation scores with the mean softmax: log-probabilities, or the probabilities themselves for mse.
        let lastLayer = config.testTimeAugmentation == nil ? network.entries.last?.description.type
            : loss == .mse ? Softmax.typeName : LogSoftmax.typeName
        let testSet = dataset.test
        let imageBytes = testSet.channels * testSet.height * testSet.width
        return try scored.prefix(Self.mistakeCount).map { mistake in
            let probabilities = Self.probabilities(mistake.outputs, lastLayer: lastLayer)
            let pixels = Array(testSet.images[(mistake.position * imageBytes)..<((mistake.position + 1) * imageBytes)])
            return Mistake(png: try PNG.encode(planar: pixels, channels: testSet.channels, height: testSet.height, width: testSet.width),
                           trueClass: mistake.trueClass, predictedClass: mistake.predictedClass,
                           confidence: Double(probabilities[mistake.predictedClass]))
        }
    }

    /// The network's output as probabilities: as is after `softmax`, exponentiated after `log_softmax`,
    /// else (logits) through a softmax.
    package static func probabilities(_ row: [Float], lastLayer: String?) -> [Float] {
        if lastLayer == Softmax.typeName { return row }
        if lastLayer == LogSoftmax.typeName { return row.map { Float(exp(Double($0))) } }
        let largest = row.max() ?? 0
        let exponentials = row.map { Float(exp(Double($0 - largest))) }
        let sum = exponentials.reduce(0, +)
        return exponentials.map { $0 / sum }
    }

    private var summaryRows: [[String]] {
        network.entries.map { entry in
            [entry.name, entry.description.type, entry.outputShape.description,
             grouped(entry.parameters.filter(\.isTrainable).reduce(0) { $0 + $1.elementCount }), grouped(entry.multiplyAccumulates)]
        } + [["total", "", "", grouped(network.parameterCount), grouped(network.multiplyAccumulates)]]
    }

    private func facts(_ history: [EpochMetrics]) -> [(String, String)] {
        let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuInfo.split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":", maxSplits: 1).last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let process = ProcessInfo.processInfo
        let seconds = history.reduce(0) { $0 + $1.seconds }
        var facts: [(String, String)] = [
            ("machine", "\(model), \(process.activeProcessorCount) cores, \(byteSize(Int(clamping: process.physicalMemory))) memory"),
            ("system", process.operatingSystemVersionString),
            ("dataset", "\(dataset.source.name) from \(dataset.location): \(grouped(dataset.train.count)) training, \(grouped(dataset.test.count)) test images"),
            ("batch size", String(config.batchSize)),
            ("training time", String(format: "%.1f s over %d epochs", seconds, history.count)),
            ("peak memory", byteSize(peakResidentBytes())),
        ]
        if let last = history.last {
            facts.insert(("speed", "\(grouped(Int(last.imagesPerSecond))) training images/s in the last epoch"), at: 4)
        }
        return facts
    }

    /// The epochs a run folder's metrics.csv holds (none when it has none).
    package static func history(ofRun runFolder: String) -> [EpochMetrics] {
        EpochMetrics.parse(csv: (try? String(contentsOfFile: (runFolder as NSString).appendingPathComponent("metrics.csv"), encoding: .utf8)) ?? "")
    }

    /// `zoo compare`'s report.html in `folder`: every run's curves on shared axes.
    package static func writeComparison(folder: String, runs: [(name: String, history: [EpochMetrics])]) throws {
        let page = ComparisonPage(title: "zoo compare: \(runs.map(\.name).joined(separator: " vs "))", runs: runs)
        try writeAtomically(page.html, to: (folder as NSString).appendingPathComponent("report.html"))
        print("report: \((folder as NSString).appendingPathComponent("report.html"))")
    }
}
