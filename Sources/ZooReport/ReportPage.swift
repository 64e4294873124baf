import Foundation

/// A test image the model gets wrong, for the report's grid.
public struct Mistake: Sendable {
    public let png: [UInt8]
    public let trueClass: Int
    public let predictedClass: Int
    /// The predicted class's probability.
    public let confidence: Double

    public init(png: [UInt8], trueClass: Int, predictedClass: Int, confidence: Double) {
        (self.png, self.trueClass, self.predictedClass, self.confidence) = (png, trueClass, predictedClass, confidence)
    }
}

/// A run folder's report.html: one self-contained page (inline SVG and CSS, PNG data URIs, no script,
/// no network fetches).
public struct ReportPage {
    public var title: String
    public var subtitle: String
    public var history: [EpochMetrics]
    /// The logged training steps: the train and learning-rate curves use them, so one epoch draws a curve.
    public var steps: [StepMetrics]
    public var classNames: [String]
    /// Rows: true class, columns: predicted (the last epoch's test set).
    public var confusion: [[Int]]
    public var mistakes: [Mistake]
    /// The first convolution's name and one PNG per output channel.
    public var filters: (layer: String, images: [[UInt8]])?
    public var config: String
    /// Name, type, output shape, parameters, multiply-accumulates.
    public var summaryRows: [[String]]
    /// Machine, speed and similar facts, as label and value.
    public var facts: [(String, String)]
    /// Shown first: why the run is probably not learning (see `zoo train`'s warnings).
    public var warnings: [String]

    public init(title: String, subtitle: String, history: [EpochMetrics], classNames: [String], confusion: [[Int]], mistakes: [Mistake],
                filters: (layer: String, images: [[UInt8]])?, config: String, summaryRows: [[String]], facts: [(String, String)],
                warnings: [String] = [], steps: [StepMetrics] = []) {
        (self.title, self.subtitle, self.history, self.classNames, self.confusion) = (title, subtitle, history, classNames, confusion)
        (self.mistakes, self.filters, self.config, self.summaryRows, self.facts) = (mistakes, filters, config, summaryRows, facts)
        (self.warnings, self.steps) = (warnings, steps)
    }

    public var html: String {
        func points(_ value: (EpochMetrics) -> Double?) -> [(Double, Double)] {
            history.compactMap { row in value(row).map { (Double(row.epoch), $0) } }
        }
        /// Training figures at every logged step when there are any, else at the end of each epoch.
        func trainingPoints(_ step: (StepMetrics) -> Double, _ epoch: (EpochMetrics) -> Double) -> [(Double, Double)] {
            steps.isEmpty ? points(epoch) : steps.map { ($0.position, step($0)) }
        }
        let train = LineChart.palette[0]
        /// Solid: the trained weights; dashed: the moving average (`ema`), each in its set's colour.
        func evaluated(_ test: @escaping (EpochMetrics) -> Double?, _ validation: @escaping (EpochMetrics) -> Double?,
                       _ averagedTest: @escaping (EpochMetrics) -> Double?, _ averagedValidation: @escaping (EpochMetrics) -> Double?) -> [LineChart.Series] {
            [LineChart.Series(name: "test", color: LineChart.palette[1], dashed: false, points: points(test)),
             .init(name: "validation", color: LineChart.palette[3], dashed: false, points: points(validation)),
             .init(name: "EMA test", color: LineChart.palette[1], dashed: true, points: points(averagedTest)),
             .init(name: "EMA validation", color: LineChart.palette[3], dashed: true, points: points(averagedValidation))].filter { !$0.points.isEmpty }
        }
        let charts = [
            LineChart(title: "Loss", yLabel: "loss", series: [
                .init(name: "train", color: train, dashed: false, points: trainingPoints(\.trainLoss, \.trainLoss)),
            ] + evaluated(\.testLoss, \.validationLoss, \.averagedTestLoss, \.averagedValidationLoss)),
            LineChart(title: "Accuracy", yLabel: "accuracy", series: [
                .init(name: "train", color: train, dashed: false, points: trainingPoints(\.trainAccuracy, \.trainAccuracy)),
            ] + evaluated(\.testAccuracy, \.validationAccuracy, \.averagedTestAccuracy, \.averagedValidationAccuracy), percent: true),
            LineChart(title: "Learning rate", yLabel: "learning rate", series: [
                .init(name: "lr", color: LineChart.palette[2], dashed: false, points: trainingPoints(\.learningRate, \.learningRate)),
            ]),
        ]
        var body = ["<h1>\(escapeHTML(title))</h1>", "<p class=\"subtitle\">\(escapeHTML(subtitle))</p>"]
        body += warnings.map { "<p class=\"warning\"><b>Warning:</b> \(escapeHTML($0))</p>" }
        if let last = history.lastEvaluated, let testAccuracy = last.testAccuracy, let testLoss = last.testLoss {
            var validation = ""
            if let accuracy = last.validationAccuracy, let loss = last.validationLoss {
                validation = String(format: "; validation %.2f%%, %.4f", accuracy * 100, loss)
            }
            body.append(String(format: "<p class=\"headline\">Epoch %d: test accuracy <b>%.2f%%</b>, test loss %.4f (train %.2f%%, %.4f",
                               last.epoch, testAccuracy * 100, testLoss, last.trainAccuracy * 100, last.trainLoss) + validation + ")</p>")
        }
        body.append("<section><h2>Training curves</h2><div class=\"charts\">\(charts.map(\.svg).joined(separator: "\n"))</div></section>")
        if !confusion.isEmpty {
            body.append("<section><h2>Confusion matrix (test set)</h2><p class=\"note\">Rows: true class; columns: predicted. "
                         + "Colour: share of the row.</p>\(confusionSVG)</section>")
        }
        body.append(mistakesSection)
        if let filters { body.append(filtersSection(filters)) }
        body.append("<section><h2>Model</h2>\(table(["name", "type", "output shape", "parameters", "MACs"], summaryRows, numeric: [3, 4]))</section>")
        body.append("<section><h2>Machine and speed</h2>\(table(["", ""], facts.map { [$0.0, $0.1] }, numeric: []))</section>")
        if !history.isEmpty {
            // Test columns always, validation and moving-average columns only when the run has them; "-" where an
            // epoch was not evaluated.
            let optional = EpochMetrics.optionalColumns.filter { column in
                column.name.hasPrefix("test_") || history.contains { $0[keyPath: column.field] != nil }
            }
            let rows = history.map { row in
                [String(row.epoch), String(format: "%.6g", row.learningRate), String(format: "%.4f", row.trainLoss),
                 String(format: "%.2f%%", row.trainAccuracy * 100)]
                    + optional.map { column in
                        row[keyPath: column.field].map { column.name.hasSuffix("loss") ? String(format: "%.4f", $0) : String(format: "%.2f%%", $0 * 100) } ?? "-"
                    }
                    + [String(format: "%.1f", row.seconds), String(format: "%.0f", row.imagesPerSecond)]
            }
            let header = ["epoch", "lr", "train loss", "train accuracy"]
                + optional.map { $0.name.replacingOccurrences(of: "_", with: " ").replacingOccurrences(of: "val ", with: "validation ")
                    .replacingOccurrences(of: "ema ", with: "EMA ") } + ["seconds", "images/s"]
            body.append("<section><h2>Epochs</h2>\(table(header, rows, numeric: Set(0..<header.count)))</section>")
        }
        body.append("<section><h2>Resolved config</h2><pre>\(escapeHTML(config))</pre></section>")
        return page(title: title, body: body)
    }

    private var mistakesSection: String {
        guard !mistakes.isEmpty else {
            return "<section><h2>Misclassified test images</h2><p class=\"note\">None: every test image is classified correctly.</p></section>"
        }
        let cells = mistakes.map { mistake in
            let truth = className(mistake.trueClass), guess = className(mistake.predictedClass)
            return "<figure class=\"mistake\"><img src=\"\(PNG.dataURI(mistake.png))\" alt=\"true \(escapeHTML(truth))\">"
                + "<figcaption>true <b>\(escapeHTML(truth))</b><br>predicted <b class=\"wrong\">\(escapeHTML(guess))</b><br>"
                + String(format: "%.1f%%", mistake.confidence * 100) + "</figcaption></figure>"
        }
        return "<section><h2>Misclassified test images</h2><p class=\"note\">The first \(mistakes.count) test images the model gets wrong, "
            + "with its confidence in the wrong class.</p><div class=\"grid\">\(cells.joined())</div></section>"
    }

    private func className(_ index: Int) -> String { classNames.indices.contains(index) ? classNames[index] : String(index) }

    /// The confusion matrix as a heat map: each cell shaded by its share of the row (the true class).
    private var confusionSVG: String {
        let count = confusion.count
        let cell = count <= 12 ? 34.0 : count <= 30 ? 16.0 : 7.0
        // Room for the longest class name at about 7 pixels a character; the slanted column labels lean right.
        let longestName = Double((0..<count).map { className($0).count }.max() ?? 1)
        let labelWidth = 12 + 7 * longestName, labelHeight = 10 + 6 * longestName
        let size = Double(count) * cell
        var parts = ["<svg class=\"confusion\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(labelWidth + size + labelHeight / 2 + 4))\" height=\"\(Int(labelHeight + size + 4))\" role=\"img\" aria-label=\"confusion matrix\">"]
        let showLabels = count <= 30, showNumbers = count <= 12
        for (row, values) in confusion.enumerated() {
            let total = max(values.reduce(0, +), 1)
            if showLabels {
                parts.append("<text x=\"\(Int(labelWidth - 4))\" y=\"\(String(format: "%.1f", labelHeight + (Double(row) + 0.65) * cell))\" text-anchor=\"end\" class=\"tick\">\(escapeHTML(className(row)))</text>")
            }
            for (column, value) in values.enumerated() {
                let share = Double(value) / Double(total)
                let color = row == column ? heat(share, hue: 210) : heat(share, hue: 10)
                let x = labelWidth + Double(column) * cell, y = labelHeight + Double(row) * cell
                parts.append("<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(color)\" stroke=\"#fff\"><title>true \(escapeHTML(className(row))), predicted \(escapeHTML(className(column))): \(value)</title></rect>")
                if showNumbers, value > 0 {
                    let ink = share > 0.5 ? "#fff" : "#222"
                    parts.append("<text x=\"\(x + cell / 2)\" y=\"\(y + cell * 0.62)\" text-anchor=\"middle\" class=\"cell\" fill=\"\(ink)\">\(value)</text>")
                }
            }
        }
        if showLabels {
            for column in 0..<count {
                let x = labelWidth + (Double(column) + 0.65) * cell
                parts.append("<text transform=\"translate(\(String(format: "%.1f", x)) \(Int(labelHeight - 4))) rotate(-60)\" class=\"tick\">\(escapeHTML(className(column)))</text>")
            }
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    /// White for 0, a saturated colour of `hue` for 1; off-diagonal cells are red, so mistakes stand out.
    private func heat(_ share: Double, hue: Int) -> String {
        let lightness = 97 - Int((share.squareRoot() * 60).rounded())
        return "hsl(\(hue), 75%, \(lightness)%)"
    }
}

/// `zoo compare`'s page: every run's test accuracy and loss on shared axes.
public struct ComparisonPage {
    public var title: String
    public var runs: [(name: String, history: [EpochMetrics])]

    public init(title: String, runs: [(name: String, history: [EpochMetrics])]) {
        self.title = title
        self.runs = runs
    }

    public var html: String {
        func series(_ value: @escaping (EpochMetrics) -> Double?, train: Bool) -> [LineChart.Series] {
            runs.enumerated().map { index, run in
                LineChart.Series(name: run.name + (train ? " (train)" : ""), color: LineChart.palette[index % LineChart.palette.count],
                                 dashed: train, points: run.history.compactMap { row in value(row).map { (Double(row.epoch), $0) } })
            }
        }
        let charts = [
            LineChart(title: "Test accuracy", yLabel: "accuracy", series: series(\.testAccuracy, train: false), percent: true),
            LineChart(title: "Loss (solid: test, dashed: train)", yLabel: "loss",
                      series: series(\.testLoss, train: false) + series(\.trainLoss, train: true)),
        ]
        let rows = runs.map { run -> [String] in
            let last = run.history.lastEvaluated
            return [run.name, String(run.history.count), last?.testAccuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "-",
                    last?.testLoss.map { String(format: "%.4f", $0) } ?? "-",
                    String(format: "%.1f", run.history.reduce(0) { $0 + $1.seconds })]
        }
        let links = runs.map { "<li><a href=\"\(escapeHTML($0.name))/report.html\">\(escapeHTML($0.name))</a></li>" }
        return page(title: title, body: [
            "<h1>\(escapeHTML(title))</h1>",
            "<section><h2>Runs overlaid</h2><div class=\"charts\">\(charts.map(\.svg).joined(separator: "\n"))</div></section>",
            "<section><h2>Results</h2>\(table(["run", "epochs", "test accuracy", "test loss", "seconds"], rows, numeric: [1, 2, 3, 4]))</section>",
            "<section><h2>Each run's own report</h2><ul>\(links.joined())</ul></section>",
        ])
    }
}

func table(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> String {
    func cells(_ row: [String], tag: String) -> String {
        row.enumerated().map { "<\(tag)\(numeric.contains($0) ? " class=\"number\"" : "")>\(escapeHTML($1))</\(tag)>" }.joined()
    }
    let head = header.allSatisfy(\.isEmpty) ? "" : "<thead><tr>\(cells(header, tag: "th"))</tr></thead>"
    return "<table>\(head)<tbody>\(rows.map { "<tr>\(cells($0, tag: "td"))</tr>" }.joined())</tbody></table>"
}

/// The page around `body`: the shared style sheet, plus `style` (rules of one page's own).
func page(title: String, body: [String], style: String = "") -> String {
    """
    <!DOCTYPE html>
    <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
    <title>\(escapeHTML(title))</title>
    <style>
    body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1500px; padding: 0 16px; color: #222; background: #fafafa; }
    h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 8px; }
    section { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 12px 16px; margin: 14px 0; }
    .subtitle, .note { color: #555; margin: 4px 0 10px; } .headline { font-size: 16px; }
    .charts { display: flex; flex-wrap: wrap; gap: 12px; }
    .chart-title { font-size: 14px; font-weight: 600; } .tick { font-size: 11px; fill: #444; } .cell { font-size: 10px; }
    .grid { display: flex; flex-wrap: wrap; gap: 8px; }
    figure { margin: 0; text-align: center; font-size: 11px; }
    figure img { image-rendering: pixelated; display: block; margin: 0 auto 2px; border: 1px solid #ccc; }
    .mistake img { width: 64px; height: 64px; } .mistake { width: 96px; } .filter img { width: 40px; height: 40px; }
    .wrong { color: #c0392b; } .warning { color: #c0392b; background: #fdecea; padding: 8px 12px; }
    table { border-collapse: collapse; font-size: 13px; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }
    .number { text-align: right; font-variant-numeric: tabular-nums; }
    pre { background: #f4f4f4; padding: 8px; overflow-x: auto; font-size: 12px; }
    \(style)</style></head>
    <body>
    \(body.joined(separator: "\n"))
    </body></html>

    """
}
