import XCTest
import ZooTestSupport
import ZooConfig
@testable import ZooCore

/// Whole networks against PyTorch: one training-mode forward, loss and backward.
final class NetworkFixtureTests: XCTestCase {
    func testLeNet() throws { try check("net_lenet") }
    func testTinyNet() throws { try check("net_tinynet") }
    func testNarrowVGG() throws { try check("net_vgg_narrow") }
    func testResidualBlockWithProjection() throws { try check("net_residual_projection") }
    func testConcatOfTwoBranchesWithDilatedConv() throws { try check("net_concat_branches") }
    func testGroupedAndDepthwiseConvs() throws { try check("net_grouped_depthwise") }

    /// zoo/resnet20.yaml against the usual PyTorch CIFAR ResNet module, its state dict loaded by name.
    func testResNet20LoadsPyTorchStateDictByName() throws {
        let fixture = try Fixture("net_resnet20")
        let architecture = try ArchitectureRegistry(workingDirectory: "/nonexistent-zoo-test-dir", environment: [:]).architecture(named: "resnet20")
        let network = try architecture.network(input: Shape([3, 32, 32]), numClasses: 10, overrides: [:], seed: 0)
        let expectedNames = fixture.file.tensors.keys.filter { $0.hasPrefix("param16.") || $0.hasPrefix("buffer.") }
            .map { String($0.split(separator: ".", maxSplits: 1)[1]) }
        XCTAssertEqual(Set(network.namedParameters.filter { !$0.name.hasSuffix("num_batches_tracked") }.map(\.name)), Set(expectedNames))
        try check("net_resnet20", network: network)
    }

    private func check(_ name: String, network prebuilt: Network? = nil) throws {
        let fixture = try Fixture(name)
        let inputShape = try fixture.metadata("input_shape", as: [Int].self)
        let network = try prebuilt ?? fixture.network(layers: try fixture.layers(), inputShape: inputShape, prefix: "param.")
        if prebuilt != nil {
            for (parameterName, parameter) in network.namedParameters {
                if let values = try fixture.parameterValues(parameterName) { try parameter.write(values) }
            }
        }
        let plan = try network.plan(batchSize: inputShape[0], training: true, inputGradient: true)
        // Deep nets chain several reductions; 1e-4 of each tensor's scale still holds.
        let tolerance = 1e-4
        var report = try fixture.checkForwardAndLoss(plan, classes: network.outputShape.channels, tolerance: tolerance)
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
