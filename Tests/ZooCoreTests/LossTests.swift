import XCTest
@testable import ZooCore

/// Losses on hand-checked numbers.
final class LossTests: XCTestCase {
    private func evaluate(_ loss: Loss, _ output: [Float], labels: [Int32], classes: Int) throws -> (Loss.Result, [Float]) {
        var gradient = [Float](repeating: .nan, count: output.count)
        let result = try output.withUnsafeBufferPointer { output in
            try labels.withUnsafeBufferPointer { labels in
                try gradient.withUnsafeMutableBufferPointer { gradient in
                    try loss.evaluate(output: output, labels: labels, classes: classes, gradient: gradient)
                }
            }
        }
        return (result, gradient)
    }

    func testCrossEntropyOfEqualLogitsIsLogOfClassCount() throws {
        let (result, gradient) = try evaluate(.crossEntropy, [0, 0, 0, 0], labels: [2], classes: 4)
        XCTAssertEqual(result.loss, log(4.0), accuracy: 1e-6)
        XCTAssertEqual(gradient, [0.25, 0.25, -0.75, 0.25])
    }

    func testCrossEntropyIsStableForHugeLogits() throws {
        let (result, gradient) = try evaluate(.crossEntropy, [1000, 0, 0, -1000], labels: [0, 1], classes: 2)
        XCTAssertEqual(result.loss, 1000 / 2, accuracy: 1e-3, "sample 1: log(1+e^-1000) ~ 0; sample 2: 1000; mean 500")
        XCTAssertTrue(gradient.allSatisfy(\.isFinite))
        XCTAssertEqual(result.correct, 1)
    }

    func testNLLIsTheNegatedMeanOfTheLabelledEntries() throws {
        let (result, gradient) = try evaluate(.nll, [-0.5, -1, -2, -3], labels: [1, 0], classes: 2)
        // Rows [-0.5, -1] (label 1) and [-2, -3] (label 0): (1 + 2) / 2; only the second is predicted right.
        XCTAssertEqual(result.loss, 1.5, accuracy: 1e-9)
        XCTAssertEqual(gradient, [0, -0.5, -0.5, 0])
        XCTAssertEqual(result.correct, 1)
    }

    func testMSEAgainstOneHotTargets() throws {
        let (result, gradient) = try evaluate(.mse, [1, 1, 0, 0], labels: [0, 1], classes: 2)
        XCTAssertEqual(result.loss, (0 + 1 + 0 + 1) / 4, accuracy: 1e-9)
        XCTAssertEqual(gradient, [0, 0.5, 0, -0.5])
    }

    func testLabelOutsideTheOutputsIsAnError() {
        XCTAssertThrowsError(try evaluate(.crossEntropy, [0, 0], labels: [5], classes: 2)) { error in
            XCTAssertTrue("\(error)".contains("label 5 of sample 0 is outside the network's 2 outputs"), "\(error)")
        }
    }
}

/// `nn.CrossEntropyLoss(label_smoothing=ε)` against PyTorch: loss and gradient.
final class LabelSmoothingFixtureTests: XCTestCase {
    func testLabelSmoothing() throws { try check("loss_label_smoothing") }
    func testFullSmoothingIsUniformTargets() throws { try check("loss_label_smoothing_full") }

    private func check(_ name: String) throws {
        let fixture = try Fixture(name)
        let output = try fixture.floats("output")
        let labels = try fixture.labels()
        let smoothing = Double(fixture.file.metadata["label_smoothing"] ?? "") ?? .nan
        var gradient = [Float](repeating: .nan, count: output.count)
        let result = try output.withUnsafeBufferPointer { output in
            try labels.withUnsafeBufferPointer { labels in
                try gradient.withUnsafeMutableBufferPointer { gradient in
                    try Loss.crossEntropy.evaluate(output: output, labels: labels, classes: output.count / labels.count,
                                                   gradient: gradient, labelSmoothing: smoothing)
                }
            }
        }
        assertClose([Float(result.loss)], try fixture.floats("loss"), tolerance: 1e-6, "\(name) loss")
        assertClose(gradient, try fixture.floats("grad_output"), tolerance: 1e-6, "\(name) gradient")
    }
}
