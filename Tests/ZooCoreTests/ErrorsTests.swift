import XCTest
@testable import ZooCore

final class ErrorsTests: XCTestCase {
    func testDescriptionNamesLocationAndHint() {
        let error = ZooError("kernel too large", at: SourceLocation(file: "a.yaml", line: 3, column: 5), hint: "use padding")
        XCTAssertEqual(error.description, "a.yaml:3:5: error: kernel too large\n  hint: use padding")
    }
}
