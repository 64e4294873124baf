import XCTest
@testable import ZooCore

/// Whole networks against PyTorch: one training-mode forward, loss and backward.
final class NetworkFixtureTests: XCTestCase {
    func testLeNet() throws { try check("net_lenet") }
    func testTinyNet() throws { try check("net_tinynet") }
    func testNarrowVGG() throws { try check("net_vgg_narrow") }

    private func check(_ name: String) throws {
        let fixture = try Fixture(name)
        let inputShape = try fixture.metadata("input_shape", as: [Int].self)
        let network = try fixture.network(layers: try fixture.layers(), inputShape: inputShape, prefix: "param.")
        let plan = try network.plan(batchSize: inputShape[0], training: true, inputGradient: true)
        plan.setInput(try fixture.floats("input"))
        try plan.forward()
        // Deep nets chain several reductions; 1e-4 of each tensor's scale still holds.
        let tolerance = 1e-4
        var report = "\(name): output \(assertClose(plan.outputValues, try fixture.floats("output"), tolerance: tolerance, "output"))"
        let loss = try XCTUnwrap(Loss(rawValue: fixture.file.metadata["loss"] ?? ""))
        let result = try plan.applyLoss(loss, labels: try fixture.labels(), classes: network.outputShape.channels)
        report += " loss \(assertClose([Float(result.loss)], try fixture.floats("loss"), tolerance: tolerance, "loss"))"
        try plan.backward()
        report += " grad_input \(assertClose(try plan.inputGradientValues, try fixture.floats("grad_input"), tolerance: tolerance, "grad_input"))"
        var worstGradient = 0.0
        for (parameterName, parameter) in network.namedParameters {
            if parameter.isTrainable {
                // A conv bias followed by batchnorm has an exactly zero gradient; both sides hold ~1e-7 noise.
                worstGradient = max(worstGradient, assertClose(try parameter.readGradient(), try fixture.floats("grad.\(parameterName)"),
                                                               tolerance: tolerance, floor: 1e-2, "grad.\(parameterName)"))
            } else {
                assertClose(try parameter.read(), try fixture.floats("buffer.\(parameterName)"), tolerance: tolerance, parameterName)
            }
        }
        print(report + " worst parameter gradient \(worstGradient)")
    }
}
