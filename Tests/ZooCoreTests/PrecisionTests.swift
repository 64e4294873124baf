import XCTest
import ZooTestSupport
@testable import ZooCore

/// bf16 mixed precision against PyTorch's autocast: one training-mode forward, loss and backward.
final class PrecisionTests: XCTestCase {
    func testLeNetMatchesAutocast() throws { try check("net_bf16_lenet") }
    func testTanhLeNetMatchesAutocast() throws { try check("net_bf16_lenet_tanh") }
    func testResidualBlockWithProjectionMatchesAutocast() throws { try check("net_bf16_residual_projection") }

    /// Where the CPU has no native bf16, a bf16 plan is refused with the ISA named; the fixture checks are then
    /// skipped, with that reason in the test log.
    private func requireNativeBFloat16() throws {
        guard !CPUISA.effective.hasNativeBFloat16 else { return }
        let network = try Network(layers: [LayerDescription(type: "linear", arguments: ["out": LayerArgument(.int(2))])], inputShape: Shape([3]))
        network.precision = .bf16
        XCTAssertThrowsError(try network.plan(batchSize: 1, training: false)) { error in
            XCTAssertTrue((error as? ZooError)?.message.contains(CPUISA.effective.name) == true, "\(error)")
        }
        throw XCTSkip("oneDNN runs this CPU as \(CPUISA.effective.name), without native bf16: bf16 is refused, its fixtures are not checked")
    }

    private func check(_ name: String) throws {
        try requireNativeBFloat16()
        let fixture = try Fixture(name)
        XCTAssertEqual(fixture.file.metadata["precision"], "bf16")
        let inputShape = try fixture.metadata("input_shape", as: [Int].self)
        let network = try fixture.network(layers: try fixture.layers(), inputShape: inputShape, prefix: "param.")
        network.precision = .bf16
        let plan = try network.plan(batchSize: inputShape[0], training: true, inputGradient: true)
        XCTAssertTrue(plan.implementations.contains { $0.operation == "convolution" && $0.implementation.contains("bf16") },
                      "\(plan.implementations.filter { $0.operation == "convolution" })")
        // bf16 keeps 8 bits of mantissa (relative rounding 2^-9); zoo and PyTorch round at different places,
        // so values agree to a few 1e-2 of each tensor's scale, not bit for bit.
        let tolerance = 3e-2
        var report = try fixture.checkForwardAndLoss(plan, classes: network.outputShape.channels, tolerance: tolerance)
        // Gradients pass ReLU and max-pooling decisions, which flip where the two sides' values differ in their last
        // bf16 bit (a value near zero, two near-equal maxima); a flip upstream moves every gradient below it. So each
        // gradient is compared as a whole (root mean square), allowing twice the largest distance autocast itself has
        // from PyTorch's float32 gradients in this network on top of the tolerance: LeNet with ReLU and max pooling
        // (autocast 11% from float32) is checked loosely, its tanh twin and the residual block (1%) closely.
        let gradientKeys = ["grad_input"] + network.namedParameters.filter(\.parameter.isTrainable).map { "grad.\($0.name)" }
        let spread = try gradientKeys.map { relativeRootMeanSquare(try fixture.floats("fp32." + $0), try fixture.floats($0)) }.max() ?? 0
        func checkGradient(_ actual: [Float], _ key: String) throws -> Double {
            let difference = relativeRootMeanSquare(actual, try fixture.floats(key))
            XCTAssertLessThanOrEqual(difference, tolerance + 2 * spread, "\(key): relative root-mean-square difference \(difference), autocast's from float32 up to \(spread)")
            return difference
        }
        report += " grad_input \(try checkGradient(try plan.inputGradientValues, "grad_input"))"
        var worstGradient = 0.0
        for (parameterName, parameter) in network.namedParameters {
            if parameter.isTrainable {
                worstGradient = max(worstGradient, try checkGradient(try parameter.readGradient(), "grad.\(parameterName)"))
            } else {
                assertClose(try parameter.read(), try fixture.floats("buffer.\(parameterName)"), tolerance: tolerance, parameterName)
            }
        }
        print(report + " worst parameter gradient \(worstGradient), autocast's from float32 \(spread)")
    }
}

/// The root-mean-square difference relative to the expected values' root mean square: a few values far off
/// (flipped decisions) weigh little, a wrong tensor weighs fully.
func relativeRootMeanSquare(_ actual: [Float], _ expected: [Float]) -> Double {
    guard actual.count == expected.count else { return .infinity }
    let difference = zip(actual, expected).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
    let size = expected.reduce(0.0) { $0 + Double($1) * Double($1) }
    return (difference / max(size, 1e-30)).squareRoot()
}
