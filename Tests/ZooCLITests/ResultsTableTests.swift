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
            model,dataset,status,accuracy_mean,accuracy_std,params,machine
            lenet,mnist,run,99.02,0.05,44426,"Xeon, 2 CPUs"
            lenet,fashion-mnist,run,90.1,0.2,44426,"Xeon, 2 CPUs"
            resnet20,mnist,"not run here (slow, here)",,,272186,"Xeon, 2 CPUs"

            """.replacingOccurrences(of: "\n", with: "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        let table = try ResultsTable(path: path)
        XCTAssertEqual(table.accuracies, ["lenet": ["mnist": "99.02 ± 0.05", "fashion-mnist": "90.1 ± 0.2"]])
        XCTAssertEqual(table.parameters["lenet"], ["mnist": 44426, "fashion-mnist": 44426])
        try "model,dataset\nlenet,mnist\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ResultsTable(path: path)) { XCTAssertTrue("\($0)".contains("lacks one of the columns"), "\($0)") }
    }
}
