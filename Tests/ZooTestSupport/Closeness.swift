import XCTest

/// |actual - expected| / scale, infinite where only one side is finite or they are different non-finite values:
/// NaN compares false with everything, so `max` would drop it and a layer putting out NaN would pass.
public func relativeDifference(_ actual: Double, _ expected: Double, scale: Double) -> Double {
    if actual.isFinite && expected.isFinite { return abs(actual - expected) / scale }
    return actual == expected || (actual.isNaN && expected.isNaN) ? 0 : .infinity
}

/// The largest difference relative to the reference's largest finite magnitude (or `floor`, for tensors that are
/// zero in exact arithmetic and hold only rounding noise); infinite when the counts differ or a value is not
/// finite where the reference's is.
public func worstRelativeDifference(_ actual: [Float], _ expected: [Float], floor: Double = 1e-6) -> Double {
    guard actual.count == expected.count else { return .infinity }
    let scale = max(expected.lazy.filter(\.isFinite).map { Double(abs($0)) }.max() ?? 0, floor)
    return zip(actual, expected).map { relativeDifference(Double($0), Double($1), scale: scale) }.max() ?? 0
}

/// Asserts `worstRelativeDifference` is within `tolerance` and returns it.
@discardableResult
public func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Double, floor: Double = 1e-6, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) -> Double {
    let worst = worstRelativeDifference(actual, expected, floor: floor)
    let firstMismatch = zip(actual, expected).enumerated().first { $0.element.0.isFinite != $0.element.1.isFinite }
        .map { " (value \($0.offset) is \($0.element.0), expected \($0.element.1))" } ?? ""
    XCTAssertLessThanOrEqual(worst, tolerance, "\(what): \(actual.count) values, expected \(expected.count); worst relative difference \(worst)\(firstMismatch)",
                             file: file, line: line)
    return worst
}
