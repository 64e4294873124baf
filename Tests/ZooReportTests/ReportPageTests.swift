import XCTest
@testable import ZooReport

final class ReportPageTests: XCTestCase {
    private let csv = """
        epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_sec
        1,0.1,0.9,0.7,0.5,0.8,2.000,30000.0
        2,0.05,0.4,0.9,0.3,0.92,2.100,28571.4

        """

    func testMetricsCSVParsesByColumnName() {
        let rows = EpochMetrics.parse(csv: csv)
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[1], EpochMetrics(epoch: 2, learningRate: 0.05, trainLoss: 0.4, trainAccuracy: 0.9, testLoss: 0.3,
                                             testAccuracy: 0.92, seconds: 2.1, imagesPerSecond: 28571.4))
        XCTAssertEqual(EpochMetrics.parse(csv: "epoch,lr\n1,0.1\n"), [], "a file without the columns gives no rows")
    }

    /// Class names are escaped, the confusion matrix has one cell per pair, and the page names no outside resource.
    func testPageIsSelfContainedAndEscapesNames() throws {
        let png = try PNG.encode(planar: [0, 128, 255, 64], channels: 1, height: 2, width: 2)
        let page = ReportPage(title: "run <1>", subtitle: "lenet", history: EpochMetrics.parse(csv: csv), classNames: ["a&b", "c"],
                              confusion: [[5, 1], [2, 7]], mistakes: [Mistake(png: png, trueClass: 0, predictedClass: 1, confidence: 0.75)],
                              filters: ("conv1", [png, png]), config: "model: lenet", summaryRows: [["conv1", "conv2d", "6x24x24", "156", "86,400"]],
                              facts: [("machine", "test")])
        let html = page.html
        XCTAssertTrue(html.contains("run &lt;1&gt;"))
        XCTAssertTrue(html.contains("a&amp;b"))
        XCTAssertFalse(html.contains("a&b"))
        XCTAssertEqual(html.components(separatedBy: "<rect x=").count - 1, 4 + 3, "four matrix cells and each chart's frame")
        XCTAssertTrue(html.contains("75.0%"))
        XCTAssertEqual(html.components(separatedBy: "data:image/png;base64,").count - 1, 3)
        XCTAssertFalse(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").contains("http"))
        XCTAssertFalse(html.contains("<script"))
    }

    func testComparisonOverlaysEveryRun() {
        let rows = EpochMetrics.parse(csv: csv)
        let html = ComparisonPage(title: "fc vs cnn", runs: [("fc", rows), ("cnn", rows)]).html
        // Test accuracy: one line per run; loss: test and train per run.
        XCTAssertEqual(html.components(separatedBy: "<polyline").count - 1, 2 + 4)
        XCTAssertTrue(html.contains(#"href="cnn/report.html""#))
    }
}
