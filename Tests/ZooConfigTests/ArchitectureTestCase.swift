import Foundation
import XCTest
import ZooConfig
import ZooCore

/// Helpers for tests of architecture files (no tests of its own).
class ArchitectureTestCase: XCTestCase {
    /// Parses `yaml` (and with `dataset`, builds it), expecting a ZooError at `line`
    /// whose message contains `message` and whose hint contains `hint`.
    func expectError(_ yaml: String, line: Int?, column: Int? = nil, _ message: String, hint: String? = nil,
                     dataset: DatasetInput? = nil, overrides: [String: ArgumentValue] = [:],
                     file: StaticString = #filePath, testLine: UInt = #line) {
        do {
            let architecture = try Architecture.parse(text: yaml, file: "bad.yaml")
            if let dataset {
                _ = try architecture.network(dataset: dataset, overrides: overrides)
            } else {
                _ = try architecture.layers(numClasses: 10, inputChannels: 1, overrides: overrides)
            }
            XCTFail("expected an error containing \"\(message)\"", file: file, line: testLine)
        } catch let error as ZooError {
            XCTAssertTrue(error.message.contains(message), "message was: \(error.message)", file: file, line: testLine)
            XCTAssertEqual(error.location?.line, line, "location of: \(error)", file: file, line: testLine)
            if line != nil { XCTAssertEqual(error.location?.file, "bad.yaml", file: file, line: testLine) }
            if let column { XCTAssertEqual(error.location?.column, column, "\(error)", file: file, line: testLine) }
            if let hint {
                XCTAssertTrue(error.hint?.contains(hint) == true, "hint was: \(error.hint ?? "none")", file: file, line: testLine)
            }
        } catch {
            XCTFail("not a ZooError: \(error)", file: file, line: testLine)
        }
    }

    /// What the error `body` throws prints, or "no error".
    func errorOf(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// A valid header followed by the given layer lines (layers start on line 3).
    func layers(_ lines: String) -> String { "name: bad\nlayers:\n" + lines }
}
