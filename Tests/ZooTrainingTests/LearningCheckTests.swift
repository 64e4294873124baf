import Foundation
import XCTest
@testable import ZooTraining
import ZooConfig
import ZooCore

/// Runs that stay finite but learn nothing are warned about, naming the setting to change.
final class LearningCheckTests: XCTestCase {
    private func config(_ overrides: [String]) throws -> TrainingConfig { try TrainingConfig.defaults(overrides: overrides) }

    func testALossNoBetterThanChanceBlamesALearningRateAboveTheDefault() throws {
        let warning = LearningCheck.epochWarning(trainLoss: 3.81, testAccuracy: 0.15, classes: 10, loss: .crossEntropy,
                                                 config: try config(["optimizer=sgd", "optimizer.lr=10"]))
        XCTAssertTrue(warning?.contains("no better than chance (ln 10 = 2.3026)") == true, warning ?? "no warning")
        XCTAssertTrue(warning?.contains("--lr 10 is probably too high for sgd; try 0.01") == true, warning ?? "no warning")
        let adam = LearningCheck.epochWarning(trainLoss: 2e9, testAccuracy: 0.2, classes: 10, loss: .nll,
                                              config: try config(["optimizer=adam", "optimizer.lr=1"]))
        XCTAssertTrue(adam?.contains("--lr 1 is probably too high for adam; try 0.001") == true, adam ?? "no warning")
    }

    func testATestAccuracyWithinAPointOfChanceIsWarnedAbout() throws {
        let warning = LearningCheck.epochWarning(trainLoss: 1.2, testAccuracy: 0.1032, classes: 10, loss: .crossEntropy,
                                                 config: try config(["optimizer.lr=0.001"]))
        XCTAssertTrue(warning?.contains("within a point of chance (10.00%)") == true, warning ?? "no warning")
        XCTAssertTrue(warning?.contains("lr 0.001 may also be too low") == true, warning ?? "no warning")
    }

    func testLearningIsNotWarnedAbout() throws {
        XCTAssertNil(LearningCheck.epochWarning(trainLoss: 0.3, testAccuracy: 0.97, classes: 10, loss: .crossEntropy, config: try config([])))
        XCTAssertNil(LearningCheck.epochWarning(trainLoss: 2.25, testAccuracy: 0.35, classes: 10, loss: .crossEntropy, config: try config([])))
    }

    func testSoftmaxBeforeCrossEntropyIsWarnedAboutAtBuildTime() throws {
        func network(_ last: String) throws -> Network {
            try Architecture.parse(text: "name: net\nlayers: [flatten, {linear: num_classes}, \(last)]\n", file: "net.yaml").network(dataset: .mnist)
        }
        let warning = LearningCheck.buildWarning(network: try network("softmax"), loss: .crossEntropy)
        XCTAssertTrue(warning?.contains("softmax is applied twice") == true, warning ?? "no warning")
        XCTAssertTrue(warning?.contains("`log_softmax`") == true, warning ?? "no warning")
        XCTAssertNil(LearningCheck.buildWarning(network: try network("log_softmax"), loss: .nll))
        XCTAssertNil(LearningCheck.buildWarning(network: try network("relu"), loss: .crossEntropy))
    }
}
