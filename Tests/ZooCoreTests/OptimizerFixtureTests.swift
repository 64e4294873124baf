import XCTest
import ZooTestSupport
@testable import ZooCore

/// Five optimizer steps against torch.optim: same losses, same final parameters.
final class OptimizerFixtureTests: XCTestCase {
    func testSGD() throws { try check("optim_sgd") }
    func testSGDWithWeightDecay() throws { try check("optim_sgd_weight_decay") }
    func testSGDMomentumWithDampening() throws { try check("optim_sgd_momentum") }
    func testSGDNesterovWithWeightDecay() throws { try check("optim_sgd_nesterov") }
    func testAdam() throws { try check("optim_adam") }
    func testAdamWithL2WeightDecay() throws { try check("optim_adam_weight_decay") }
    func testAdamW() throws { try check("optim_adamw") }

    private func check(_ name: String) throws {
        let fixture = try Fixture(name)
        let inputShape = try fixture.metadata("input_shape", as: [Int].self)
        let network = try fixture.network(layers: try fixture.layers(), inputShape: inputShape, prefix: "initial.")
        var settings = try fixture.metadata("optimizer", as: [String: ArgumentValue].self)
        guard case .string(let optimizerName) = settings.removeValue(forKey: "name") else { return XCTFail("\(name) names no optimizer") }
        let parameters = network.namedParameters
        let optimizer = try OptimizerRegistry.make(named: optimizerName, settings: settings, parameters: parameters)
        let plan = try network.plan(batchSize: inputShape[0], training: true)
        let labels = try fixture.labels()
        var losses: [Float] = []
        for _ in 0..<5 {
            plan.setInput(try fixture.floats("input"))
            losses.append(Float(try plan.forwardLossBackward(.crossEntropy, labels: labels, classes: network.outputShape.channels).loss))
            try optimizer.step()
        }
        var worst = assertClose(losses, try fixture.floats("losses"), tolerance: 1e-5, "\(name) losses")
        for (parameterName, parameter) in parameters {
            worst = max(worst, assertClose(try parameter.read(), try fixture.floats("final.\(parameterName)"), tolerance: 1e-5, "\(name) \(parameterName)"))
        }
        print("\(name): worst relative difference after 5 steps \(worst)")
    }
}
