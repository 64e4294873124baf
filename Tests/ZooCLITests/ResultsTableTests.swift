import Foundation
import XCTest
@testable import ZooCLI

final class ResultsTableTests: XCTestCase {
    func testCSVFieldsAsPythonWritesThem() {
        XCTAssertEqual(csvFields("lenet,mnist,99.1"), ["lenet", "mnist", "99.1"])
        XCTAssertEqual(csvFields("a,\"Intel, 2 CPUs\",,\"say \"\"hi\"\"\"\r"), ["a", "Intel, 2 CPUs", "", "say \"hi\""])
    }

    func testReadsAccuracyByModelAndDatasetAndSkipsRowsNotRun() throws {
        let path = NSTemporaryDirectory() + "results-\(UUID().uuidString).csv"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
            model,dataset,status,accuracy_mean,accuracy_std,machine
            lenet,mnist,run,99.02,0.05,"Xeon, 2 CPUs"
            lenet,fashion-mnist,run,90.1,0.2,"Xeon, 2 CPUs"
            resnet20,mnist,"not run here (slow, here)",,,"Xeon, 2 CPUs"

            """.write(toFile: path, atomically: true, encoding: .utf8)
        let table = try ResultsTable(path: path)
        XCTAssertEqual(table.accuracies, ["lenet": ["mnist": "99.02 ± 0.05", "fashion-mnist": "90.1 ± 0.2"]])
        try "model,dataset\nlenet,mnist\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsTable(path: path)) { XCTAssertTrue("\($0)".contains("lacks one of the columns"), "\($0)") }
    }
}
