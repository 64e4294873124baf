import XCTest
import ZooTestSupport
@testable import ZooCore

/// Central finite differences of L = sum(output * R) against backward(), for every layer type.
final class GradientCheckTests: XCTestCase {
    func testConv2d() throws { try check(.init(type: "conv2d", arguments: ["out": .init(.int(3)), "kernel": .init(.int(3)), "stride": .init(.int(2)), "padding": .init(.int(1))])) }
    func testGroupedDilatedConv2d() throws { try check(.init(type: "conv2d", arguments: ["out": .init(.int(4)), "kernel": .init(.int(3)), "groups": .init(.int(2)), "dilation": .init(.int(2)), "padding": .init(.int(1))])) }
    /// `add` and `concat` of the input and a layer of it: the input's gradient is the sum over both readers.
    func testAdd() throws { try check([.init(type: "conv2d", arguments: ["out": .init(.int(2)), "kernel": .init(.int(3)), "padding": .init(.int(1))]),
                                       .init(type: "add", inputs: [.init(.offset(-1)), .init(.offset(-2))])]) }
    func testConcat() throws { try check([.init(type: "conv2d", arguments: ["out": .init(.int(3)), "kernel": .init(.int(1))]),
                                          .init(type: "concat", inputs: [.init(.offset(-2)), .init(.offset(-1))])]) }
    func testLinear() throws { try check(.init(type: "linear", arguments: ["out": .init(.int(4))]), flat: true) }
    func testReLU() throws { try check(.init(type: "relu")) }
    func testLeakyReLU() throws { try check(.init(type: "leaky_relu", arguments: ["slope": .init(.double(0.2))])) }
    func testSigmoid() throws { try check(.init(type: "sigmoid")) }
    func testTanh() throws { try check(.init(type: "tanh")) }
    func testGELU() throws { try check(.init(type: "gelu")) }
    func testSiLU() throws { try check(.init(type: "silu")) }
    func testMaxPool() throws { try check(.init(type: "maxpool2d", arguments: ["kernel": .init(.int(2))])) }
    func testAvgPool() throws { try check(.init(type: "avgpool2d", arguments: ["kernel": .init(.int(3)), "stride": .init(.int(2)), "padding": .init(.int(1))])) }
    func testGlobalAvgPool() throws { try check(.init(type: "global_avgpool")) }
    func testBatchNormOnImages() throws { try check(.init(type: "batchnorm")) }
    func testBatchNormOnFeatures() throws { try check(.init(type: "batchnorm"), flat: true) }
    func testDropout() throws { try check(.init(type: "dropout", arguments: ["p": .init(.double(0.3))])) }
    func testFlatten() throws { try check(.init(type: "flatten")) }
    func testSoftmax() throws { try check(.init(type: "softmax"), flat: true) }
    func testLogSoftmax() throws { try check(.init(type: "log_softmax"), flat: true) }

    private func check(_ layer: LayerDescription, flat: Bool = false) throws { try check([layer], flat: flat) }

    private func check(_ layers: [LayerDescription], flat: Bool = false) throws {
        let inputShape = Shape(flat ? [6] : [2, 5, 5])
        let batchSize = 3
        let network = try Network(layers: layers, inputShape: inputShape, seed: 7)
        let plan = try network.plan(batchSize: batchSize, training: true, inputGradient: true)
        var random = SeededRandom(seed: 11)
        // Distinct values 0.05 apart and away from zero, so max-pool and ReLU decisions do not flip under a step.
        let count = batchSize * inputShape.elementCount
        var input = (0..<count).map { Float($0) * 0.05 - Float(count) * 0.025 + 0.0125 }
        input.shuffle(using: &random)
        plan.setInput(input)
        try plan.forward()
        let weights = random.uniform(1, count: plan.outputValues.count)

        func objective() throws -> Double {
            try plan.forward()
            return zip(plan.outputValues, weights).reduce(0.0) { $0 + Double($1.0 * $1.1) }
        }
        _ = try objective()
        try plan.setOutputGradient(weights)
        try plan.backward()
        // backward() moves dropout to the next step's mask; the differences must see this step's.
        network.trainingStep = 0
        let step: Float = 2e-3
        var worst = 0.0

        // Input gradient, at a spread of positions.
        let analyticInput = try plan.inputGradientValues
        let scale = max(analyticInput.lazy.filter(\.isFinite).map { Double(abs($0)) }.max() ?? 0, 1e-3)
        for index in stride(from: 0, to: count, by: max(1, count / 12)) {
            var shifted = input
            shifted[index] += step
            plan.setInput(shifted)
            let above = try objective()
            shifted[index] -= 2 * step
            plan.setInput(shifted)
            let below = try objective()
            let numeric = (above - below) / Double(2 * step)
            worst = max(worst, relativeDifference(Double(analyticInput[index]), numeric, scale: scale))
        }
        plan.setInput(input)

        // Every trainable parameter, a few elements each.
        for parameter in network.trainableParameters {
            let analytic = try parameter.readGradient()
            let values = try parameter.read()
            let parameterScale = max(analytic.lazy.filter(\.isFinite).map { Double(abs($0)) }.max() ?? 0, 1e-3)
            for index in stride(from: 0, to: values.count, by: max(1, values.count / 6)) {
                var shifted = values
                shifted[index] += step
                try parameter.write(shifted)
                let above = try objective()
                shifted[index] -= 2 * step
                try parameter.write(shifted)
                let below = try objective()
                let numeric = (above - below) / Double(2 * step)
                worst = max(worst, relativeDifference(Double(analytic[index]), numeric, scale: parameterScale))
            }
            try parameter.write(values)
        }
        print("gradient check \(layers.map(\.type).joined(separator: "+"))\(flat ? " (flat)" : ""): worst relative difference \(worst)")
        XCTAssertLessThan(worst, 1e-2, "\(layers.map(\.type).joined(separator: "+")): finite differences disagree with backward()")
    }
}
