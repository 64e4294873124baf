import XCTest
import ZooTestSupport
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

    /// A mixed image counts as right when the model picks the label with the larger weight.
    func testMixedAccuracyCountsTheDominantLabel() throws {
        let output: [Float] = [0, 5, 0, 0, 5, 0]  // both rows pick class 1, the partners' label
        let labels: [Int32] = [0, 2], partners: [Int32] = [1, 1]
        func correct(_ weight: Double) throws -> Int {
            try output.withUnsafeBufferPointer { output in
                try labels.withUnsafeBufferPointer { labels in
                    try Loss.crossEntropy.evaluate(output: output, labels: labels, classes: 3, gradient: nil,
                                                   mixed: MixedLabels(partners: partners, weight: weight)).correct
                }
            }
        }
        XCTAssertEqual(try correct(0.8), 0, "the labels 0 and 2 dominate, and class 1 is neither")
        XCTAssertEqual(try correct(0.3), 2, "the partners' label 1 dominates")
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
    /// MixUp/CutMix soft targets (λ on the label, 1 - λ on the rolled batch's), without and with smoothing.
    func testMixedSoftTargets() throws { try check("loss_mixed_soft_targets") }
    func testMixedSoftTargetsWithLabelSmoothing() throws { try check("loss_mixed_soft_targets_label_smoothing") }

    private func check(_ name: String) throws {
        let fixture = try Fixture(name)
        let output = try fixture.floats("output")
        let labels = try fixture.labels()
        let smoothing = Double(fixture.file.metadata["label_smoothing"] ?? "") ?? .nan
        let weight = fixture.file.metadata["label_weight"].map { Double($0) ?? .nan }
        let partners = fixture.has("partners") ? try fixture.file.tensor("partners", in: name).int64s.map { Int32($0) } : []
        var gradient = [Float](repeating: .nan, count: output.count)
        let result = try output.withUnsafeBufferPointer { output in
            try labels.withUnsafeBufferPointer { labels in
                try gradient.withUnsafeMutableBufferPointer { gradient in
                    try Loss.crossEntropy.evaluate(output: output, labels: labels, classes: output.count / labels.count, gradient: gradient,
                                                   labelSmoothing: smoothing, mixed: weight.map { MixedLabels(partners: partners, weight: $0) })
                }
            }
        }
        assertClose([Float(result.loss)], try fixture.floats("loss"), tolerance: 1e-6, "\(name) loss")
        assertClose(gradient, try fixture.floats("grad_output"), tolerance: 1e-6, "\(name) gradient")
    }
}
