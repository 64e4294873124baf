import Foundation
import ZooCore

/// Training progress: a self-updating bar on a terminal, or plain log lines (every `logEvery` steps and
/// one per epoch) when the output is a file or pipe, or with --quiet.
public final class ProgressOutput {
    private let isTerminal: Bool
    private let logEvery: Int
    private let silent: Bool
    private var lastDraw = Date.distantPast
    private var barShown = false

    public init(quiet: Bool, logEvery: Int, silent: Bool = false) {
        isTerminal = !quiet && isatty(STDOUT_FILENO) != 0
        self.logEvery = max(logEvery, 1)
        self.silent = silent
    }

    public func line(_ text: String) {
        guard !silent else { return }
        if barShown { finishEpoch() }
        print(text)
        fflush(nil)
    }

    /// A file skipped or a setting questioned, on standard error so that --json output stays clean.
    public func warning(_ text: String) {
        FileHandle.standardError.write(Data("warning: \(text)\n".utf8))
    }

    public func step(_ report: StepReport, epochs: Int) {
        // Called after every training step: the text is made only for the steps that show it.
        guard !silent, isTerminal || report.step % logEvery == 0 else { return }
        var summary: String {
            String(format: "loss %.4f, accuracy %.2f%%, %@ images/s", report.loss, report.accuracy * 100, grouped(Int(report.imagesPerSecond)))
        }
        if isTerminal {
            guard Date().timeIntervalSince(lastDraw) > 0.1 || report.step == report.stepsPerEpoch else { return }
            lastDraw = Date()
            let remaining = Double(report.stepsPerEpoch - report.step) * report.elapsedSeconds / Double(max(report.step, 1))
            let width = 24
            let filled = report.stepsPerEpoch > 0 ? width * report.step / report.stepsPerEpoch : 0
            let bar = String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled)
            print("\r\u{1B}[2Kepoch \(report.epoch + 1)/\(epochs) [\(bar)] \(report.step)/\(report.stepsPerEpoch) \(summary), ETA \(duration(remaining))",
                  terminator: "")
            barShown = true
            fflush(nil)
        } else {
            print("epoch \(report.epoch + 1)/\(epochs) step \(report.step)/\(report.stepsPerEpoch): \(summary)")
            fflush(nil)
        }
    }

    public func finishEpoch() {
        guard barShown else { return }
        print("\r\u{1B}[2K", terminator: "")
        barShown = false
    }

    private func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return String(format: "%d:%02d", total / 60, total % 60)
    }
}
