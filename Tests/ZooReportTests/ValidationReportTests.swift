import XCTest
@testable import ZooReport

/// Validation and moving-average figures on the page, and training curves drawn from the logged steps.
final class ValidationReportTests: XCTestCase {
    private let csv = """
        epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,val_loss,val_accuracy,ema_test_loss,ema_test_accuracy,ema_val_loss,ema_val_accuracy,weights,seconds,images_per_sec,warning
        1,0.1,0.9,0.7,0.5,0.8,0.45,0.81,0.4,0.85,0.35,0.86,ema,2.000,30000.0,

        """

    private func page(steps: [StepMetrics]) -> String {
        ReportPage(title: "run", subtitle: "", history: EpochMetrics.parse(csv: csv), classNames: ["a", "b"], confusion: [], mistakes: [],
                   filters: nil, config: "", summaryRows: [], facts: [], steps: steps).html
    }

    func testValidationAndMovingAverageColumnsParseAndShow() {
        let row = EpochMetrics.parse(csv: csv)[0]
        XCTAssertEqual(row.validationLoss, 0.45)
        XCTAssertEqual(row.validationAccuracy, 0.81)
        XCTAssertEqual(row.averagedTestAccuracy, 0.85)
        XCTAssertEqual(row.averagedValidationLoss, 0.35)
        XCTAssertNil(EpochMetrics.parse(csv: "epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_sec\n1,0.1,1,0.5,1,0.5,1,1\n")[0].validationLoss)
        let html = page(steps: [])
        for name in ["validation", "EMA test", "EMA validation", "validation accuracy", "EMA test loss", "86.00%"] {
            XCTAssertTrue(html.contains(name), name)
        }
    }

    /// `evaluate_every` leaves an epoch's test columns empty: the row still parses, the table shows "-", the test
    /// curve skips it and the headline gives the last evaluated epoch.
    func testEpochsWithoutEvaluationParseAndShow() {
        let csv = """
            epoch,lr,train_loss,train_accuracy,test_loss,test_accuracy,seconds,images_per_sec,warning
            1,0.1,0.9,0.7,0.5,0.8,2.000,30000.0,
            2,0.1,0.8,0.75,,,2.000,30000.0,

            """
        let history = EpochMetrics.parse(csv: csv)
        XCTAssertEqual(history.map(\.epoch), [1, 2])
        XCTAssertNil(history[1].testAccuracy)
        XCTAssertNil(history[1].testLoss)
        XCTAssertEqual(history.lastEvaluated?.epoch, 1)
        let html = ReportPage(title: "run", subtitle: "", history: history, classNames: ["a", "b"], confusion: [], mistakes: [],
                              filters: nil, config: "", summaryRows: [], facts: []).html
        XCTAssertTrue(html.contains("Epoch 1: test accuracy <b>80.00%</b>"), html)
        XCTAssertTrue(html.contains(">-</td>"), html)
        let testCurve = html.components(separatedBy: "<polyline").dropFirst().map { $0.prefix { $0 != ">" } }.first { $0.contains(LineChart.palette[1]) }
        XCTAssertEqual(testCurve.map { $0.split(separator: "points=\"")[1].split(separator: " ").count }, 1)
    }

    /// One epoch logged at ten steps: the train loss is a ten-point line, not a single dot.
    func testOneEpochDrawsItsLoggedSteps() {
        let steps = (1...10).map { StepMetrics(position: Double($0) / 10, learningRate: 0.1, trainLoss: 2 / Double($0), trainAccuracy: Double($0) / 10) }
        XCTAssertEqual(StepMetrics.parse(csv: StepMetrics.csv(steps)), steps)
        let polylines = page(steps: steps).components(separatedBy: "<polyline").dropFirst().map { $0.prefix { $0 != ">" } }
        let trainLoss = polylines.first { $0.contains(LineChart.palette[0]) }
        XCTAssertEqual(trainLoss.map { $0.split(separator: "points=\"")[1].split(separator: " ").count }, 10)
        let withoutSteps = page(steps: []).components(separatedBy: "<polyline").dropFirst().map { $0.prefix { $0 != ">" } }
        XCTAssertEqual(withoutSteps.first { $0.contains(LineChart.palette[0]) }.map { $0.split(separator: "points=\"")[1].split(separator: " ").count }, 1)
    }
}
