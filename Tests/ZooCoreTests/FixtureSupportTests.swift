import XCTest
import ZooTestSupport
@testable import ZooCore

/// The fixture comparison itself: a layer that puts out NaN or infinity must fail it.
final class FixtureSupportTests: XCTestCase {
    func testNonFiniteValuesFailWhereTheReferenceIsFinite() {
        let expected: [Float] = [0.5, -1, 2]
        XCTAssertEqual(worstRelativeDifference(expected, expected), 0)
        XCTAssertEqual(worstRelativeDifference([0.5, -1.5, 2], expected), 0.25)
        XCTAssertEqual(worstRelativeDifference([.nan, .nan, .nan], expected), .infinity)
        XCTAssertEqual(worstRelativeDifference([0.5, .nan, 2], expected), .infinity)
        XCTAssertEqual(worstRelativeDifference([0.5, -.infinity, 2], expected), .infinity)
        XCTAssertEqual(worstRelativeDifference([0.5, -1], expected), .infinity)
        // Where the reference itself is not finite, the same value matches and anything else does not.
        XCTAssertEqual(worstRelativeDifference([0.5, .nan, .infinity], [0.5, .nan, .infinity]), 0)
        XCTAssertEqual(worstRelativeDifference([0.5, 1, 2], [0.5, .nan, 2]), .infinity)
        XCTAssertEqual(relativeDifference(.nan, 1, scale: 1), .infinity)
        XCTAssertEqual(relativeDifference(1, .nan, scale: 1), .infinity)
    }
}
