import XCTest
import ZooTestSupport
@testable import ZooCore

/// Six SGD steps on a net with batch norm against torch: the moving average of every parameter and running
/// statistic equals AveragedModel(get_ema_multi_avg_fn, use_buffers=True), and with warmup timm's ModelEmaV3.
final class MovingAverageFixtureTests: XCTestCase {
    func testAveragedModelDecay() throws { try check("ema_decay", warmup: false) }
    func testModelEmaV3Warmup() throws { try check("ema_warmup", warmup: true) }

    func testWarmupDecayFollowsTimm() throws {
        let average = try ExponentialMovingAverage(settings: .init(decay: 0.999, warmup: true),
                                                   network: Network(layers: [LayerDescription(type: "linear", arguments: ["out": LayerArgument(.int(2))])],
                                                                    inputShape: Shape([3])))
        XCTAssertEqual(average.decay(update: 1), 0)
        XCTAssertEqual(average.decay(update: 2), 1 - pow(2, -2.0 / 3), accuracy: 1e-15)
        XCTAssertEqual(average.decay(update: 1_000_000), 0.999, "capped at the decay")
    }

    private func check(_ name: String, warmup: Bool) throws {
        let fixture = try Fixture(name)
        let inputShape = try fixture.metadata("input_shape", as: [Int].self)
        let network = try fixture.network(layers: try fixture.layers(), inputShape: inputShape, prefix: "initial.")
        let steps = Int(try XCTUnwrap(fixture.file.metadata["steps"])) ?? 0
        let decay = Double(try XCTUnwrap(fixture.file.metadata["decay"])) ?? 0
        let average = try ExponentialMovingAverage(settings: .init(decay: decay, warmup: warmup), network: network)
        let optimizer = try SGD(parameters: network.namedParameters, learningRate: 0.1, momentum: 0.9)
        let plan = try network.plan(batchSize: inputShape[0], training: true)
        let (inputs, labels) = (try fixture.floats("inputs"), try fixture.labels())
        let (batchValues, batch) = (inputs.count / steps, inputShape[0])
        for step in 0..<steps {
            plan.setInput(Array(inputs[(step * batchValues)..<((step + 1) * batchValues)]))
            _ = try plan.forwardLossBackward(.crossEntropy, labels: Array(labels[(step * batch)..<((step + 1) * batch)]),
                                             classes: network.outputShape.channels)
            try optimizer.step()
            try average.update()
        }
        XCTAssertEqual(average.updates, steps)
        var worst = 0.0
        for (parameterName, parameter) in network.namedParameters {
            worst = max(worst, assertClose(try parameter.read(), try fixture.floats("final.\(parameterName)"), tolerance: 1e-5, "\(name) final \(parameterName)"))
        }
        let averages = try average.tensors()
        XCTAssertEqual(averages.count, network.namedParameters.count, "every parameter and buffer is averaged")
        for (parameterName, _) in network.namedParameters {
            let values = try XCTUnwrap(averages[parameterName], parameterName).floats
            worst = max(worst, assertClose(values, try fixture.floats("ema.\(parameterName)"), tolerance: 1e-5, "\(name) average \(parameterName)"))
        }
        // Evaluating with the averages swaps them in and the trained values back.
        let trained = try network.namedParameters.map { try $0.parameter.read() }
        let swapped = try average.withAverages { try network.namedParameters.map { try $0.parameter.read() } }
        XCTAssertEqual(swapped, try network.namedParameters.map { try averages[$0.name]?.floats ?? [] })
        XCTAssertEqual(try network.namedParameters.map { try $0.parameter.read() }, trained)
        print("\(name): worst relative difference after \(steps) steps \(worst)")
    }
}
