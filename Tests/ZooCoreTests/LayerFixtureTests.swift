import XCTest
import ZooTestSupport
@testable import ZooCore

/// Every layer against PyTorch: output, input gradient, parameter gradients, running statistics.
final class LayerFixtureTests: XCTestCase {
    /// conv and linear sum hundreds of products whose order differs from PyTorch's; 1e-4 of the tensor's scale holds.
    let tolerance = 1e-4

    func testEveryLayerFixtureMatchesPyTorch() throws {
        let names = try Fixture.names(prefix: "layer_")
        XCTAssertGreaterThanOrEqual(names.count, 21, "the fixture script writes at least 21 layer cases")
        for name in names {
            do { print(try check(name)) } catch { XCTFail("\(name): \(error)") }
        }
    }

    /// Compares one case and returns a line with the worst relative difference per tensor.
    private func check(_ name: String) throws -> String {
        let fixture = try Fixture(name)
        let layer = try fixture.metadata("layer", as: JSONLayer.self).description
        let training = fixture.file.metadata["mode"] == "train"
        let inputShape = try fixture.shape("input")
        let network = try fixture.network(layers: [layer], inputShape: inputShape, prefix: "param.", singleLayer: true)
        if let mean = network.parameter(named: "0.running_mean"), let variance = network.parameter(named: "0.running_var") {
            try mean.write(try fixture.floats("initial.running_mean"))
            try variance.write(try fixture.floats("initial.running_var"))
        }
        var report = "\(name):"
        func compare(_ actual: [Float], _ key: String) throws {
            report += " \(key) \(assertClose(actual, try fixture.floats(key), tolerance: tolerance, "\(name) \(key)"))"
        }
        guard training else {
            let plan = try network.plan(batchSize: inputShape[0], training: false)
            plan.setInput(try fixture.floats("input"))
            try plan.forward()
            try compare(plan.outputValues, "output")
            return report
        }
        let plan = try network.plan(batchSize: inputShape[0], training: true, inputGradient: true)
        plan.setInput(try fixture.floats("input"))
        try plan.forward()
        try compare(plan.outputValues, "output")
        try plan.setOutputGradient(try fixture.floats("grad_output"))
        try plan.backward()
        try compare(try plan.inputGradientValues, "grad_input")
        for (parameterName, parameter) in network.namedParameters {
            let local = String(parameterName.dropFirst(2))
            try parameter.isTrainable ? compare(try parameter.readGradient(), "grad.\(local)") : compare(try parameter.read(), "buffer.\(local)")
        }
        return report
    }
}
