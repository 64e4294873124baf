import Foundation

/// A line chart as inline SVG: no script, no fetches, readable in any browser and when printed.
struct LineChart {
    struct Series {
        let name: String
        let color: String
        let dashed: Bool
        /// (x, y) points; x is the epoch (fractional for a logged step).
        let points: [(Double, Double)]
    }

    let title: String
    let yLabel: String
    let series: [Series]
    var percent = false

    static let markedPoints = 60
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]

    private let width = 380.0, height = 280.0
    private let left = 58.0, right = 12.0, top = 30.0, bottom = 62.0

    var svg: String {
        let points = series.flatMap(\.points).filter { $0.1.isFinite }
        let xs = points.map(\.0), ys = points.map(\.1)
        let xRange = axisRange(xs.min() ?? 0, xs.max() ?? 1)
        let yRange = axisRange(ys.min() ?? 0, ys.max() ?? 1)
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ value: Double) -> Double { left + (value - xRange.0) / (xRange.1 - xRange.0) * plotWidth }
        func y(_ value: Double) -> Double { top + (1 - (value - yRange.0) / (yRange.1 - yRange.0)) * plotHeight }
        var parts = ["<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"\(f(width))\" height=\"\(f(height))\" role=\"img\" aria-label=\"\(escapeHTML(title))\">",
                     "<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" class=\"chart-title\">\(escapeHTML(title))</text>",
                     "<rect x=\"\(f(left))\" y=\"\(f(top))\" width=\"\(f(plotWidth))\" height=\"\(f(plotHeight))\" fill=\"#fff\" stroke=\"#999\"/>"]
        for tick in ticks(yRange) {
            let label = percent ? String(format: "%.4g%%", tick * 100) : String(format: "%.4g", tick)
            parts.append("<line x1=\"\(f(left))\" x2=\"\(f(left + plotWidth))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\" stroke=\"#eee\"/>")
            parts.append("<text x=\"\(f(left - 4))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\" class=\"tick\">\(label)</text>")
        }
        for tick in ticks(xRange) where tick == tick.rounded() {
            parts.append("<text x=\"\(f(x(tick)))\" y=\"\(f(top + plotHeight + 14))\" text-anchor=\"middle\" class=\"tick\">\(Int(tick))</text>")
        }
        parts.append("<text x=\"\(f(left + plotWidth / 2))\" y=\"\(f(top + plotHeight + 30))\" text-anchor=\"middle\" class=\"tick\">epoch</text>")
        parts.append("<text transform=\"translate(12 \(f(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"tick\">\(escapeHTML(yLabel))</text>")
        for line in series {
            let finite = line.points.filter { $0.1.isFinite }
            let path = finite.map { "\(f(x($0.0))),\(f(y($0.1)))" }.joined(separator: " ")
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            parts.append("<polyline class=\"series\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash) points=\"\(path)\"/>")
            // Dots mark epochs; a curve of logged steps has too many for them.
            for point in finite where finite.count <= Self.markedPoints {
                parts.append("<circle cx=\"\(f(x(point.0)))\" cy=\"\(f(y(point.1)))\" r=\"3\" fill=\"\(line.color)\"><title>\(escapeHTML(line.name)) epoch \(String(format: "%.4g", point.0)): \(String(format: "%.4g", point.1))</title></circle>")
            }
        }
        // Legend below the plot, wrapping into rows of three.
        for (index, line) in series.enumerated() {
            let legendX = left + Double(index % 3) * (plotWidth / 3)
            let legendY = top + plotHeight + 46 + Double(index / 3) * 14
            let dash = line.dashed ? " stroke-dasharray=\"6 4\"" : ""
            parts.append("<line x1=\"\(f(legendX))\" x2=\"\(f(legendX + 18))\" y1=\"\(f(legendY - 4))\" y2=\"\(f(legendY - 4))\" stroke=\"\(line.color)\" stroke-width=\"2\"\(dash)/>")
            parts.append("<text x=\"\(f(legendX + 22))\" y=\"\(f(legendY))\" class=\"tick\">\(escapeHTML(line.name))</text>")
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    /// The data's range with a 5% margin; a flat line (a constant learning rate) gets 10% of its value either side.
    private func axisRange(_ low: Double, _ high: Double) -> (Double, Double) {
        if high - low <= abs(high) * 1e-9 {
            let pad = abs(low) > 0 ? abs(low) * 0.1 : 1
            return (low - pad, high + pad)
        }
        let margin = (high - low) * 0.05
        return (low - margin, high + margin)
    }

    /// About five round tick values inside the range.
    private func ticks(_ range: (Double, Double)) -> [Double] {
        let span = range.1 - range.0
        let raw = span / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        var values: [Double] = []
        var tick = ceil(range.0 / step) * step
        while tick <= range.1, values.count < 20 {
            values.append(tick)
            tick += step
        }
        return values
    }
}

private func f(_ value: Double) -> String { String(format: "%.1f", value) }

func escapeHTML(_ text: String) -> String {
    var escaped = ""
    for character in text {
        switch character {
        case "&": escaped += "&amp;"
        case "<": escaped += "&lt;"
        case ">": escaped += "&gt;"
        case "\"": escaped += "&quot;"
        default: escaped.append(character)
        }
    }
    return escaped
}
