import Foundation
import XCTest
import ZooTestSupport

/// A missing tool or dataset skips a test on a developer's machine and fails it under CI=true, naming the fix.
final class PrerequisiteTests: XCTestCase {
    private var savedCI: String?

    override func setUp() { savedCI = ProcessInfo.processInfo.environment["CI"] }

    override func tearDown() {
        if let savedCI { setenv("CI", savedCI, 1) } else { unsetenv("CI") }
    }

    func testMissingSkipsOutsideCIAndFailsInside() {
        for value in [nil, "false", "0"] {
            if let value { setenv("CI", value, 1) } else { unsetenv("CI") }
            XCTAssertTrue(Prerequisite.missing("frob", install: "apt-get install frob") is XCTSkip, "CI=\(value ?? "unset")")
        }
        for value in ["true", "1"] {
            setenv("CI", value, 1)
            let error = Prerequisite.missing("frob", install: "apt-get install frob")
            XCTAssertFalse(error is XCTSkip, "CI=\(value)")
            XCTAssertEqual("\(error)", "CI needs frob is missing; apt-get install frob (scripts/setup-test-deps.sh does this)")
        }
        XCTAssertNoThrow(try Prerequisite.require(true, "frob", install: "apt-get install frob"))
        XCTAssertThrowsError(try Prerequisite.require(false, "frob", install: "apt-get install frob"))
    }
}
