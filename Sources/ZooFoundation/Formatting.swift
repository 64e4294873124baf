import Foundation

// Sizes, counts and names as zoo prints and compares them; shared by every module.

/// The product of `factors`, or `Int.max` when it does not fit: for sizes that are checked against a limit next.
public func saturatingProduct(_ factors: [Int]) -> Int {
    var product = 1
    for factor in factors {
        let (result, overflow) = product.multipliedReportingOverflow(by: factor)
        if overflow { return Int.max }
        product = result
    }
    return product
}

/// `a + b` for non-negative sizes, or `Int.max` when it does not fit.
public func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
}

/// "4.6 MB", "313.0 GB", "612 KB", "940 B" (decimal units); `rounded` gives a whole number of a larger unit, for advice.
public func byteSize(_ bytes: Int, rounded: Bool = false) -> String {
    if bytes == Int.max { return "more than 9 EB" }
    let units: [(String, Double)] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)]
    for (unit, scale) in units where Double(bytes) >= scale {
        return rounded ? "\(Int((Double(bytes) / scale).rounded(.up)))\(unit)" : String(format: "%.1f %@", Double(bytes) / scale, unit)
    }
    return "\(bytes) B"
}

/// "about 4.6 MB", or "more than 9 EB" for a saturated size.
public func approximately(_ bytes: Int) -> String { bytes == Int.max ? byteSize(bytes) : "about " + byteSize(bytes) }

/// "1,199,882"; "more than 9.2e18" for a saturated count.
public func grouped(_ count: Int) -> String {
    if count == Int.max { return "more than 9.2e18" }
    let digits = String(count.magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
        result.append(character)
    }
    return (count < 0 ? "-" : "") + result
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a likely typo.
public func nearest(to word: String, in candidates: [String]) -> String? {
    let scored = candidates.map { ($0, editDistance(word.lowercased(), $0.lowercased())) }
    guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
    return best.1 <= max(2, word.count / 3) ? best.0 : nil
}

func editDistance(_ first: String, _ second: String) -> Int {
    let a = Array(first), b = Array(second)
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...max(b.count, 1) where !b.isEmpty {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return a.isEmpty ? b.count : previous[b.count]
}

/// True when two names differ at most in case, `-` and `_`: `SGD` is `sgd`, `Conv2d` is `conv2d`,
/// `LogSoftmax` is `log_softmax`, `Fashion_MNIST` is `fashion-mnist`.
public func sameName(_ first: String, _ second: String) -> Bool { folded(first) == folded(second) }

public func folded(_ name: String) -> String { name.lowercased().filter { $0 != "-" && $0 != "_" } }
