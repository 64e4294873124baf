import XCTest
@testable import ZooCore

/// Shape inference, naming, parameter counts, modes and the errors a user can cause.
final class NetworkTests: XCTestCase {
    private let lenet: [LayerDescription] = [
        .init(type: "conv2d", arguments: ["out": .init(.int(6)), "kernel": .init(.int(5))]), .init(type: "relu"),
        .init(type: "maxpool2d", arguments: ["kernel": .init(.int(2))]),
        .init(type: "conv2d", arguments: ["out": .init(.int(16)), "kernel": .init(.int(5))]), .init(type: "relu"),
        .init(type: "maxpool2d", arguments: ["kernel": .init(.int(2))]), .init(type: "flatten"),
        .init(type: "linear", arguments: ["out": .init(.int(120))]), .init(type: "relu"),
        .init(type: "linear", arguments: ["out": .init(.int(84))]), .init(type: "relu"),
        .init(type: "linear", arguments: ["out": .init(.int(10))]),
    ]

    private func errorText(_ body: () throws -> Void) -> String {
        do { try body() } catch { return "\(error)" }
        XCTFail("expected an error")
        return ""
    }

    func testLeNetShapesAndPyTorchParameterCounts() throws {
        let network = try Network(layers: lenet, inputShape: Shape([1, 28, 28]))
        XCTAssertEqual(network.entries.map(\.outputShape.description),
                       ["6x24x24", "6x24x24", "6x12x12", "16x8x8", "16x8x8", "16x4x4", "256", "120", "120", "84", "84", "10"])
        XCTAssertEqual(network.parameterCount, 44_426)
        XCTAssertEqual(try Network(layers: lenet, inputShape: Shape([3, 32, 32])).parameterCount, 62_006)
        XCTAssertEqual(network.namedParameters.map(\.name).prefix(4), ["0.weight", "0.bias", "3.weight", "3.bias"])
        // 6*24*24*25 + 16*8*8*150 + 256*120 + 120*84 + 84*10
        XCTAssertEqual(network.multiplyAccumulates, 86_400 + 153_600 + 30_720 + 10_080 + 840)
    }

    func testNamedLayersNameTheirParameters() throws {
        let network = try Network(layers: [.init(type: "flatten"), .init(type: "linear", name: "classifier", arguments: ["out": .init(.int(3))])],
                                  inputShape: Shape([2, 2, 2]))
        XCTAssertEqual(network.namedParameters.map(\.name), ["classifier.weight", "classifier.bias"])
    }

    func testBatchNormStatisticsAreBuffersNotParameters() throws {
        let network = try Network(layers: [.init(type: "batchnorm")], inputShape: Shape([4, 3, 3]))
        XCTAssertEqual(network.parameterCount, 8)
        XCTAssertEqual(network.namedParameters.map(\.name), ["0.weight", "0.bias", "0.running_mean", "0.running_var"])
    }

    func testSameSeedSameWeightsDifferentSeedDifferentWeights() throws {
        let first = try Network(layers: lenet, inputShape: Shape([1, 28, 28]), seed: 1).namedParameters[0].parameter.read()
        let again = try Network(layers: lenet, inputShape: Shape([1, 28, 28]), seed: 1).namedParameters[0].parameter.read()
        let other = try Network(layers: lenet, inputShape: Shape([1, 28, 28]), seed: 2).namedParameters[0].parameter.read()
        XCTAssertEqual(first, again)
        XCTAssertNotEqual(first, other)
        // PyTorch's default bound 1/sqrt(fan_in) = 1/5 for a 1x5x5 kernel.
        XCTAssertLessThanOrEqual(first.map(abs).max() ?? 1, 0.2)
    }

    func testKernelLargerThanItsInputExplainsTheArithmetic() {
        let location = SourceLocation(file: "net.yaml", line: 9, column: 5)
        var layers = lenet
        layers.insert(.init(type: "conv2d", arguments: ["out": .init(.int(8)), "kernel": .init(.int(5))], location: location), at: 6)
        let text = errorText { _ = try Network(layers: layers, inputShape: Shape([1, 28, 28])) }
        XCTAssertTrue(text.hasPrefix("net.yaml:9:5: error: layer 6 (conv2d) a 5x5 kernel does not fit its 4x4 input"), text)
        XCTAssertTrue(text.contains("the network input 1x28x28 becomes 16x4x4 after layer 5 (maxpool2d)"), text)
    }

    func testPaddingIsShownInTheArithmetic() {
        let text = errorText {
            _ = try Network(layers: [.init(type: "conv2d", arguments: ["out": .init(.int(1)), "kernel": .init(.int(7)), "padding": .init(.int(1))])],
                            inputShape: Shape([1, 4, 4]))
        }
        XCTAssertTrue(text.contains("a 7x7 kernel does not fit its 4x4 input (6x6 with padding 1)"), text)
    }

    func testLinearOnAnImageAsksForFlatten() {
        let text = errorText { _ = try Network(layers: [.init(type: "linear", arguments: ["out": .init(.int(10))])], inputShape: Shape([16, 4, 4])) }
        XCTAssertTrue(text.contains("layer 0 (linear) needs flat features, but its input is the image 16x4x4"), text)
        XCTAssertTrue(text.contains("add `- flatten` before it (it would then take 256 features)"), text)
    }

    func testConvolutionAfterFlattenIsAnError() {
        let text = errorText {
            _ = try Network(layers: [.init(type: "flatten"), .init(type: "conv2d", arguments: ["out": .init(.int(1)), "kernel": .init(.int(1))])],
                            inputShape: Shape([1, 4, 4]))
        }
        XCTAssertTrue(text.contains("layer 1 (conv2d) needs an image input"), text)
    }

    func testZeroChannelsNegativePaddingAndWrongTypesAreErrors() {
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "conv2d", arguments: ["out": .init(.int(0)), "kernel": .init(.int(3))])) }
            .contains("conv2d: `out` must be at least 1, not 0"))
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "conv2d", arguments: ["out": .init(.int(2)), "kernel": .init(.int(3)), "padding": .init(.int(-1))])) }
            .contains("`padding` must be at least 0, not -1"))
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "linear", arguments: ["out": .init(.string("ten"))])) }
            .contains("`out` must be a whole number, not \"ten\""))
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "dropout", arguments: ["p": .init(.double(1.5))])) }
            .contains("`p` must be a number between 0.0 and 1.0, not 1.5"))
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "linear")) }.contains("linear needs `out`"))
    }

    func testUnknownTypesAndSettingsSuggestTheNearest() {
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "conv2e")) }.contains("did you mean `conv2d`?"))
        // Case alone is no mistake: `Conv2D` is conv2d.
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "Conv2D")) }.contains("needs `out`"))
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "conv2d", arguments: ["out": .init(.int(2)), "kernal": .init(.int(3))])) }
            .contains("did you mean `kernel`?"))
    }

    func testPoolingPaddingOverHalfTheKernelIsRefusedAsInPyTorch() {
        XCTAssertTrue(errorText { _ = try LayerRegistry.makeLayer(.init(type: "maxpool2d", arguments: ["kernel": .init(.int(2)), "padding": .init(.int(2))])) }
            .contains("`padding` may be at most half the kernel"))
    }

    func testDuplicateLayerNamesAreAnError() {
        let text = errorText {
            _ = try Network(layers: [.init(type: "relu", name: "act"), .init(type: "relu", name: "act")], inputShape: Shape([3]))
        }
        XCTAssertTrue(text.contains("two layers are named `act`"), text)
    }

    func testDropoutIsIdentityInInferenceAndScalesInTraining() throws {
        let network = try Network(layers: [.init(type: "relu"), .init(type: "dropout", arguments: ["p": .init(.double(0.5))])],
                                  inputShape: Shape([1000]), seed: 3)
        let input = [Float](repeating: 1, count: 2000)
        let inference = try network.plan(batchSize: 2, training: false)
        inference.setInput(input)
        try inference.forward()
        XCTAssertEqual(inference.outputValues, input)
        let training = try network.plan(batchSize: 2, training: true)
        training.setInput(input)
        try training.forward()
        let output = training.outputValues
        XCTAssertTrue(output.allSatisfy { $0 == 0 || $0 == 2 })
        let kept = output.filter { $0 == 2 }.count
        XCTAssertTrue((900...1100).contains(kept), "about half of 2000 kept, got \(kept)")
        // Same step, same mask; the next step draws a new one.
        try training.forward()
        XCTAssertEqual(training.outputValues, output)
        try training.setOutputGradient(input)
        try training.backward()
        try training.forward()
        XCTAssertNotEqual(training.outputValues, output)
    }

    func testBatchNormInferenceUsesRunningStatistics() throws {
        let network = try Network(layers: [.init(type: "batchnorm")], inputShape: Shape([2]))
        try network.parameter(named: "0.running_mean")?.write([1, -1])
        try network.parameter(named: "0.running_var")?.write([4, 0.25])
        let plan = try network.plan(batchSize: 1, training: false)
        plan.setInput([3, 0])
        try plan.forward()
        XCTAssertEqual(plan.outputValues[0], 1, accuracy: 1e-5, "(3 - 1) / sqrt(4)")
        XCTAssertEqual(plan.outputValues[1], 2, accuracy: 1e-4, "(0 + 1) / sqrt(0.25)")
    }

    func testPlansForOtherBatchSizesShareParameters() throws {
        let network = try Network(layers: lenet, inputShape: Shape([1, 28, 28]))
        let input = (0..<(5 * 784)).map { Float($0 % 17) / 17 }
        let large = try network.plan(batchSize: 5, training: false)
        large.setInput(input)
        try large.forward()
        let small = try network.plan(batchSize: 2, training: false)
        small.setInput(Array(input.prefix(2 * 784)))
        try small.forward()
        for (a, b) in zip(small.outputValues, large.outputValues.prefix(20)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    /// Inference shares activation buffers by lifetime: a graph whose outputs are read far ahead (a shortcut,
    /// two branches) computes in inference exactly what training mode computes (no batchnorm or dropout here).
    func testGraphInferenceMatchesTrainingMode() throws {
        let conv = { (out: Int, name: String?, inputs: [LayerInput]) in
            LayerDescription(type: "conv2d", name: name, arguments: ["out": .init(.int(out)), "kernel": .init(.int(3)), "padding": .init(.int(1))],
                             inputs: inputs)
        }
        let layers: [LayerDescription] = [
            conv(4, "stem", []), .init(type: "relu", name: "stem_relu"), conv(4, nil, []), .init(type: "relu"), conv(4, nil, []),
            .init(type: "add", inputs: [.init(.offset(-1)), .init(.name("stem_relu"))]), .init(type: "relu", name: "block"),
            conv(3, "left", []), conv(5, "right", [.init(.name("block"))]),
            .init(type: "concat", inputs: [.init(.name("left")), .init(.name("right"))]), .init(type: "maxpool2d", arguments: ["kernel": .init(.int(2))]),
            .init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(5))]),
        ]
        let network = try Network(layers: layers, inputShape: Shape([2, 8, 8]), seed: 4)
        let input = (0..<(3 * 128)).map { Float($0 % 23) / 23 - 0.4 }
        let training = try network.plan(batchSize: 3, training: true)
        training.setInput(input)
        try training.forward()
        let inference = try network.plan(batchSize: 3, training: false)
        inference.setInput(input)
        try inference.forward()
        for (a, b) in zip(inference.outputValues, training.outputValues) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(network.entries[9].inputs, [7, 8])
    }

    /// The ReLU after a two-input `add` runs as the add's post-op, with its backward on the add's output (the
    /// PyTorch fixtures of a residual block and of ResNet-20 check its values); not when the add's output has
    /// another reader.
    func testAddFusesTheReLUAfterItWhenTheReLUIsItsOnlyReader() throws {
        func implementations(addOutputReadTwice: Bool) throws -> [(layer: String, operation: String, implementation: String)] {
            let conv = LayerDescription(type: "conv2d", arguments: ["out": .init(.int(4)), "kernel": .init(.int(3)), "padding": .init(.int(1))])
            let network = try Network(layers: [
                conv, .init(type: "relu", name: "stem"), conv,
                .init(type: "add", name: "sum", inputs: [.init(.offset(-1)), .init(.name("stem"))]), .init(type: "relu", name: "block"),
                .init(type: "add", inputs: [.init(.offset(-1)), .init(.name(addOutputReadTwice ? "sum" : "block"))]),
                .init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(3))]),
            ], inputShape: Shape([2, 5, 5]), seed: 8)
            return try network.plan(batchSize: 2, training: true).implementations
        }
        let fused = try implementations(addOutputReadTwice: false)
        XCTAssertTrue(fused.contains { $0.layer == "sum" && $0.operation == "fused relu backward" }, "\(fused)")
        XCTAssertFalse(fused.contains { $0.layer == "block" && $0.operation.hasPrefix("relu") }, "the fused ReLU has no primitive of its own: \(fused)")
        let unfused = try implementations(addOutputReadTwice: true)
        XCTAssertTrue(unfused.contains { $0.layer == "block" && $0.operation == "relu" }, "\(unfused)")
        XCTAssertFalse(unfused.contains { $0.layer == "sum" && $0.operation == "fused relu backward" })
    }

    /// A linear layer's backward data reads the weights in the layout its forward reads them in: no reorder of the
    /// weights every step (oneDNN alone picks the transpose for backward data).
    func testLinearBackwardDataReadsTheForwardsWeights() throws {
        let network = try Network(layers: [
            .init(type: "flatten"), .init(type: "linear", name: "hidden", arguments: ["out": .init(.int(512))]), .init(type: "relu"),
            .init(type: "linear", arguments: ["out": .init(.int(10))]),
        ], inputShape: Shape([192, 3, 3]), seed: 2)
        let implementations = try network.plan(batchSize: 8, training: true, inputGradient: true).implementations
        XCTAssertTrue(implementations.contains { $0.layer == "hidden" && $0.operation == "inner product backward data" }, "\(implementations)")
        XCTAssertFalse(implementations.contains { $0.layer == "hidden" && $0.operation == "reorder" }, "\(implementations)")
    }

    /// A ReLU after batch norm runs in the batch norm (or, before max pooling, in the pooling): the same outputs
    /// and gradients as the unfused plan (a captured ReLU keeps its own step), training, frozen and inference.
    func testBatchNormReLUFusedEqualsUnfused() throws {
        let conv = LayerDescription(type: "conv2d", arguments: ["out": .init(.int(6)), "kernel": .init(.int(3))])
        let layers: [LayerDescription] = [
            conv, .init(type: "batchnorm", name: "bn1"), .init(type: "relu", name: "relu1"), conv,
            .init(type: "batchnorm"), .init(type: "relu", name: "relu2"), .init(type: "maxpool2d", arguments: ["kernel": .init(.int(2))]),
            .init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(3))]),
        ]
        let input: [Float] = (0..<648).map { (index: Int) -> Float in Float(index * 37 % 29) / 29 - 0.45 }
        let outputGradient: [Float] = (0..<12).map { (index: Int) -> Float in Float(index % 5) - 2 }
        func run(_ network: Network, training: Bool, capturing: [String]) throws -> [[Float]] {
            let plan = try network.plan(batchSize: 4, training: training, inputGradient: training, capturing: capturing)
            XCTAssertEqual(plan.implementations.contains { $0.layer == "relu1" }, !capturing.isEmpty, "\(plan.implementations)")
            plan.setInput(input)
            try plan.forward()
            guard training else { return [plan.outputValues] }
            try plan.setOutputGradient(outputGradient)
            try plan.backward()
            return try [plan.outputValues, plan.inputGradientValues] + network.trainableParameters.map { try $0.readGradient() }
        }
        for frozen in [[], ["bn1"]] {
            let network = try Network(layers: layers, inputShape: Shape([2, 9, 9]), seed: 5)
            _ = try network.freeze(frozen)
            for training in [true, false] {
                let fused = try run(network, training: training, capturing: [])
                let unfused = try run(network, training: training, capturing: ["relu1", "relu2"])
                XCTAssertEqual(fused.count, unfused.count)
                for (a, b) in zip(fused, unfused) {
                    XCTAssertEqual(a.count, b.count)
                    for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-5, "frozen \(frozen), training \(training)") }
                }
            }
        }
    }

    /// A convolution of 8 channels or fewer runs on 8-channel blocks (oneDNN's AVX2 kernel, on AVX-512 machines
    /// too, where 16-channel blocks would pad LeNet's 6 channels to 16); a wider one keeps oneDNN's own choice.
    func testNarrowConvolutionsTakeEightChannelBlocks() throws {
        let cpuFlags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        try XCTSkipUnless(cpuFlags.contains(" avx2"), "this machine has no AVX2 kernels")
        func forwardImplementation(outputChannels: Int) throws -> String? {
            let network = try Network(layers: [.init(type: "conv2d", name: "conv", arguments: ["out": .init(.int(outputChannels)), "kernel": .init(.int(5))])],
                                      inputShape: Shape([1, 16, 16]), seed: 1)
            return try network.plan(batchSize: 4, training: true).implementations.first { $0.layer == "conv" && $0.operation == "convolution" }?.implementation
        }
        XCTAssertEqual(try forwardImplementation(outputChannels: 6), "jit:avx2")
        if cpuFlags.contains(" avx512f") { XCTAssertEqual(try forwardImplementation(outputChannels: 32), "jit:avx512_core") }
    }
}

/// NaN in, NaN out, as in PyTorch (`relu(nan)` is nan), through a ReLU alone and one fused into a linear layer.
final class NaNPropagationTests: XCTestCase {
    private func outputs(_ layers: [LayerDescription], input: [Float]) throws -> [Float] {
        let network = try Network(layers: layers, inputShape: Shape([input.count]))
        let plan = try network.plan(batchSize: 1, training: false)
        plan.withInput { buffer in for index in input.indices { buffer[index] = input[index] } }
        try plan.forward()
        return plan.withOutput { Array($0) }
    }

    func testReLUPropagatesNaN() throws {
        let relu = try outputs([.init(type: "relu")], input: [.nan, -1, 2, .nan])
        XCTAssertTrue(relu[0].isNaN && relu[3].isNaN, "\(relu)")
        XCTAssertEqual(Array(relu[1...2]), [0, 2])
        let fused = try outputs([.init(type: "linear", arguments: ["out": .init(.int(3))]), .init(type: "relu")], input: [.nan, 1])
        XCTAssertTrue(fused.allSatisfy(\.isNaN), "\(fused)")
        // An add with the ReLU fused into it: NaN from either input stays NaN.
        let added = try outputs([.init(type: "flatten", name: "x"), .init(type: "flatten"),
                                 .init(type: "add", inputs: [.init(.offset(-1)), .init(.name("x"))]), .init(type: "relu")],
                                input: [.nan, -1, 2])
        XCTAssertTrue(added[0].isNaN, "\(added)")
        XCTAssertEqual(Array(added[1...2]), [0, 4])
    }

    /// conv -> relu -> maxpool runs the ReLU on the pooled values: NaN still wins its window and stays NaN,
    /// and a window whose maximum is negative gives 0.
    func testReLUMovedPastMaxPoolingKeepsNaNAndClampsNegatives() throws {
        let network = try Network(layers: [
            .init(type: "conv2d", arguments: ["out": .init(.int(8)), "kernel": .init(.int(1)), "bias": .init(.bool(false))]),
            .init(type: "relu"), .init(type: "maxpool2d", arguments: ["kernel": .init(.int(2))]),
        ], inputShape: Shape([1, 2, 4]), seed: 3)
        let plan = try network.plan(batchSize: 1, training: false)
        plan.setInput([.nan, 1, 5, 5,
                       2, 3, 7, 7])
        try plan.forward()
        let output = plan.outputValues  // 8 channels x 1 x 2
        let weights = try network.trainableParameters[0].read()
        for channel in 0..<8 {
            XCTAssertTrue(output[channel * 2].isNaN, "channel \(channel): \(output)")
            XCTAssertEqual(output[channel * 2 + 1], max(0, weights[channel] * 5, weights[channel] * 7), accuracy: 1e-6)
        }
        XCTAssertTrue(weights.contains { $0 < 0 } && weights.contains { $0 > 0 }, "the case needs both signs: \(weights)")
    }
}
