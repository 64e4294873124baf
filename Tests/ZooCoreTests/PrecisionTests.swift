import CDNNL
import XCTest
import ZooTestSupport
@testable import ZooCore

/// bf16 mixed precision against PyTorch's autocast: one training-mode forward, loss and backward.
final class PrecisionTests: XCTestCase {
    func testLeNetMatchesAutocast() throws { try check("net_bf16_lenet") }
    func testTanhLeNetMatchesAutocast() throws { try check("net_bf16_lenet_tanh") }
    func testResidualBlockWithProjectionMatchesAutocast() throws { try check("net_bf16_residual_projection") }

    /// The precision pass keeps convolutions whose bf16 backward weights is slow in float32 (a 3x3 kernel at stride 2;
    /// a 1x1 at stride 2 is fast and stays bf16), and the batch norm after such a convolution follows its float32 input.
    func testStridedKernelAndItsBatchNormStayFloat32() throws {
        try requireNativeBFloat16()
        let implementations = try residualNetwork().plan(batchSize: 2, training: true).implementations
        func implementation(_ layer: String, _ operation: String) -> String {
            implementations.first { $0.layer == layer && $0.operation == operation }?.implementation ?? "none"
        }
        XCTAssertTrue(implementation("stem", "convolution").contains("bf16"), "\(implementations)")
        XCTAssertFalse(implementation("strided", "convolution").contains("bf16"), "\(implementations)")
        XCTAssertFalse(implementation("strided_bn", "batch normalization").contains("bf16"), "\(implementations)")
        XCTAssertTrue(implementation("projection", "convolution").contains("bf16"), "\(implementations)")
        XCTAssertTrue(implementation("projection_bn", "batch normalization").contains("bf16"), "\(implementations)")
    }

    /// In bf16 training the float32 master weights take the layout backward weights writes their gradient in: a
    /// convolution reorders only its weights' two bf16 copies (forward, backward data), not the gradient as well.
    func testBFloat16WeightGradientNeedsNoReorder() throws {
        try requireNativeBFloat16()
        let implementations = try residualNetwork().plan(batchSize: 2, training: true).implementations
        let reorders = implementations.filter { $0.layer == "body" && $0.operation == "reorder" }
        XCTAssertTrue(implementations.contains { $0.layer == "body" && $0.operation == "convolution backward weights" && $0.implementation.contains("bf16") })
        XCTAssertLessThanOrEqual(reorders.count, 2, "\(implementations.filter { $0.layer == "body" })")
    }

    /// `auto` picks bf16 only where the probe's convolution ran at least 1.25x as fast in it, and says the speed-up.
    func testAutoPicksBFloat16WhereTheProbeMeasuredItFaster() {
        let isa = CPUISA(raw: dnnl_cpu_isa_avx512_core_bf16)
        let twice = BFloat16Probe(float32Seconds: 1, bfloat16Seconds: 0.5).choice(isa: isa)
        XCTAssertEqual(twice.precision, .bf16)
        XCTAssertTrue(twice.reason.contains("2.00x as fast in bf16"), twice.reason)
        XCTAssertEqual(BFloat16Probe(float32Seconds: 1.25, bfloat16Seconds: 1).choice(isa: isa).precision, .bf16)
        let halfRate = BFloat16Probe(float32Seconds: 0.6, bfloat16Seconds: 1).choice(isa: isa)
        XCTAssertEqual(halfRate.precision, .fp32)
        XCTAssertTrue(halfRate.reason.contains("0.60x as fast in bf16") && halfRate.reason.contains("needs 1.25x"), halfRate.reason)
        XCTAssertEqual(BFloat16Probe(float32Seconds: 1.2, bfloat16Seconds: 1).choice(isa: isa).precision, .fp32)
    }

    /// The probe's convolution runs and is timed on any CPU in float32; where the ISA has native bf16 `auto` times
    /// both types and reports what it measured, elsewhere it picks float32 without timing anything.
    func testAutoMeasuresOnlyWhereTheISAHasNativeBFloat16() throws {
        let seconds = try 1 / XCTUnwrap(BFloat16Probe.inferenceRates([.fp32]).first)
        XCTAssertTrue(seconds > 0 && seconds < 10, "\(seconds)")
        let (precision, reason) = try PrecisionSetting.auto.resolve()
        if CPUISA.effective.hasNativeBFloat16 {
            let probe = try BFloat16Probe.measured()
            XCTAssertEqual(precision == .bf16, probe.prefersBFloat16)
            XCTAssertTrue(reason.contains(String(format: "%.2fx as fast in bf16", probe.speedup)), reason)
        } else {
            XCTAssertEqual(precision, .fp32)
            XCTAssertTrue(reason.contains("has no native bf16"), reason)
        }
    }

    /// stem (3x3) -> stem_relu -> body (3x3) -> strided (3x3, stride 2) + projection (1x1, stride 2, from stem_relu).
    private func residualNetwork() throws -> Network {
        let conv = { (name: String, out: Int, kernel: Int, stride: Int, inputs: [LayerInput]) in
            LayerDescription(type: "conv2d", name: name, arguments: ["out": .init(.int(out)), "kernel": .init(.int(kernel)), "stride": .init(.int(stride)),
                                                                     "padding": .init(.int(kernel / 2)), "bias": .init(.bool(false))], inputs: inputs)
        }
        let network = try Network(layers: [
            conv("stem", 16, 3, 1, []), .init(type: "relu", name: "stem_relu"), conv("body", 16, 3, 1, []), .init(type: "relu"),
            conv("strided", 32, 3, 2, []), .init(type: "batchnorm", name: "strided_bn"),
            conv("projection", 32, 1, 2, [.init(.name("stem_relu"))]), .init(type: "batchnorm", name: "projection_bn"),
            .init(type: "add", inputs: [.init(.name("strided_bn")), .init(.offset(-1))]), .init(type: "relu"),
            .init(type: "global_avgpool"), .init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(3))]),
        ], inputShape: Shape([3, 16, 16]), seed: 2)
        network.precision = .bf16
        return network
    }

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
