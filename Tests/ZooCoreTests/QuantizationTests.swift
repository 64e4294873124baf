import Foundation
import XCTest
import ZooTestSupport
@testable import ZooCore

/// int8 post-training quantization: batch-norm folding, per-channel weights, and int8 plans against float32.
final class QuantizationTests: XCTestCase {
    private func conv(_ name: String, out: Int, padding: Int = 1) -> LayerDescription {
        .init(type: "conv2d", name: name, arguments: ["out": .init(.int(out)), "kernel": .init(.int(3)), "padding": .init(.int(padding))])
    }

    /// A residual block between a conv + batch norm + ReLU stem and a linear head: every int8 kernel zoo uses.
    private var residual: [LayerDescription] {
        [conv("conv1", out: 8), .init(type: "batchnorm", name: "bn1"), .init(type: "relu", name: "relu1"),
         .init(type: "maxpool2d", name: "pool", arguments: ["kernel": .init(.int(2))]),
         conv("conv2", out: 8), .init(type: "batchnorm", name: "bn2"), .init(type: "relu"), conv("conv3", out: 8), .init(type: "batchnorm", name: "bn3"),
         .init(type: "add", name: "add", inputs: [.init(.name("pool")), .init(.offset(-1))]), .init(type: "relu"),
         .init(type: "global_avgpool"), .init(type: "flatten"), .init(type: "linear", name: "fc", arguments: ["out": .init(.int(5))])]
    }

    /// Batch norms with statistics and affine parameters away from the identity, as after training.
    private func randomizeBatchNorms(_ network: Network, seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        for (name, parameter) in network.namedParameters where name.hasPrefix("bn") {
            let values = random.uniform(0.5, count: parameter.elementCount)
            try parameter.write(values.map { name.hasSuffix("running_var") || name.hasSuffix("weight") ? 1 + $0 : $0 })
        }
    }

    private func images(_ count: Int, shape: Shape, seed: UInt64) -> ArrayBatchSource {
        var random = SeededRandom(seed: seed)
        return ArrayBatchSource(images: random.uniform(1, count: count * shape.elementCount), labels: Array(repeating: 0, count: count),
                                imageSize: shape.elementCount, batchSize: count)
    }

    private func outputs(_ network: Network, _ input: [Float], batchSize: Int) throws -> [Float] {
        let plan = try network.plan(batchSize: batchSize, training: false)
        plan.setInput(input)
        try plan.forward()
        return plan.outputValues
    }

    func testPerChannelWeightsByHand() {
        // Channel 0: scale 1/127, so 0.5 -> 63.5 -> 64 and 0.25 -> 31.75 -> 32. Channel 1: scale 0.03/127,
        // so 0.02 -> 84.67 -> 85 and 0.01 -> 42.33 -> 42. Each channel's largest magnitude lands on ±127.
        let quantized = WeightsAndBias(weights: [0.5, -1, 0.25, 0.02, 0.01, -0.03], bias: [0.1, -0.2]).quantizedPerChannel()
        XCTAssertEqual(quantized.values, [64, -127, 32, 85, 42, -127])
        XCTAssertEqual(quantized.scales[0], 1 / 127, accuracy: 1e-9)
        XCTAssertEqual(quantized.scales[1], 0.03 / 127, accuracy: 1e-9)
        XCTAssertEqual(quantized.bias, [0.1, -0.2])
        XCTAssertEqual(WeightsAndBias(weights: [0, 0], bias: [0]).quantizedPerChannel().values, [0, 0], "an all-zero channel stays zero")
    }

    func testBatchNormFoldingByHand() {
        // factor = 3 / sqrt(3.99 + 0.01) = 1.5; bias (0.5 - 0.25) * 1.5 + 1.
        let folded = WeightsAndBias(weights: [2, -1], bias: [0.5])
            .foldingBatchNorm(scale: [3], shift: [1], mean: [0.25], variance: [3.99], epsilon: 0.01)
        XCTAssertEqual(folded, WeightsAndBias(weights: [3, -1.5], bias: [1.375]))
    }

    func testFoldedConvolutionEqualsConvolutionThenBatchNorm() throws {
        let shape = Shape([3, 6, 6])
        let withNorm = try Network(layers: [conv("conv1", out: 4), .init(type: "batchnorm", name: "bn1")], inputShape: shape, seed: 3)
        try randomizeBatchNorms(withNorm, seed: 4)
        let folded = try Network(layers: [conv("conv1", out: 4)], inputShape: shape)
        let weights = try NetworkQuantization.foldedWeights(of: 0, in: withNorm)
        try folded.parameter(named: "conv1.weight")?.write(weights.weights)
        try folded.parameter(named: "conv1.bias")?.write(weights.bias)
        let input = images(2, shape: shape, seed: 5).images
        _ = assertClose(try outputs(folded, input, batchSize: 2), try outputs(withNorm, input, batchSize: 2), tolerance: 1e-5, floor: 1e-2,
                        "folded conv against conv + batch norm")
    }

    /// The int8 plan against float32 on images it was not calibrated on: the error of 8-bit rounding, a few
    /// percent of the output's spread, and the same predicted class for almost every image.
    func testInt8ResidualNetworkMatchesFloat32WithinQuantizationError() throws {
        let shape = Shape([3, 12, 12])
        let network = try Network(layers: residual, inputShape: shape, seed: 7)
        try randomizeBatchNorms(network, seed: 8)
        let quantization = try NetworkQuantization(network: network, ranges: try network.calibrate(data: images(64, shape: shape, seed: 9)))
        let input = images(32, shape: shape, seed: 10).images
        let float32 = try outputs(network, input, batchSize: 32)
        network.quantization = quantization
        network.precision = .int8
        let plan = try network.plan(batchSize: 32, training: false)
        let operations = plan.implementations.map(\.operation)
        XCTAssertEqual(operations.filter { $0 == "int8 convolution" }.count, 3, "\(operations)")
        XCTAssertTrue(operations.contains("int8 add") && operations.contains("int8 inner product"), "\(operations)")
        let int8 = try outputs(network, input, batchSize: 32)
        let difference = relativeRootMeanSquare(int8, float32)
        XCTAssertLessThan(difference, 0.03, "int8 against float32: relative root-mean-square difference")
        func predictions(_ values: [Float]) -> [Int] {
            (0..<32).map { (sample: Int) -> Int in
                let row = Array(values[(sample * 5)..<(sample * 5 + 5)])
                return row.indices.max { row[$0] < row[$1] } ?? 0
            }
        }
        let agreeing = zip(predictions(int8), predictions(float32)).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(agreeing, 30, "int8 and float32 predict the same class")
        print("int8 residual network: relative RMS difference \(difference), \(agreeing)/32 predictions agree")
    }

    /// Layer outputs captured from an int8 plan (`zoo predict --html`) are floats near float32's: a batch norm folded
    /// into its conv, and a ReLU left unfused because it is captured, still show their own outputs.
    func testCapturedLayersOfAnInt8PlanAreFloatsNearFloat32() throws {
        let shape = Shape([3, 12, 12])
        let network = try Network(layers: residual, inputShape: shape, seed: 7)
        try randomizeBatchNorms(network, seed: 8)
        network.quantization = try NetworkQuantization(network: network, ranges: try network.calibrate(data: images(64, shape: shape, seed: 9)))
        let input = images(8, shape: shape, seed: 10).images
        let names = ["bn1", "relu1", "bn2", "bn3", "add"]
        func captures(_ precision: Precision) throws -> [[Float]] {
            network.precision = precision
            let layers = try input.withUnsafeBufferPointer { try network.forward(images: $0, count: 8, capturing: names).layers }
            return layers.map(\.values)
        }
        for (name, (int8, float32)) in zip(names, zip(try captures(.int8), try captures(.fp32))) {
            XCTAssertLessThan(relativeRootMeanSquare(int8, float32), 0.03, name)
        }
    }

    /// Against PyTorch running the same int8 scheme (`int8_reference` in scripts/make_fixtures.py): the same int8
    /// weights (a weight exactly between two integers may round either way) and the same outputs, up to an
    /// activation landing on the other side of a rounding boundary after float32 and float64 differ in a last bit.
    func testMatchesPyTorchInt8Reference() throws {
        let fixture = try Fixture("net_int8_lenet_bn")
        let inputShape = try fixture.metadata("input_shape", as: [Int].self)
        let network = try fixture.network(layers: try fixture.layers(), inputShape: inputShape, prefix: "param.")
        let calibrationCount = try fixture.shape("calibration")[0]
        let calibration = ArrayBatchSource(images: try fixture.floats("calibration"), labels: Array(repeating: 0, count: calibrationCount),
                                           imageSize: network.inputShape.elementCount, batchSize: calibrationCount)
        let quantization = try NetworkQuantization(network: network, ranges: try network.calibrate(data: calibration))
        for layer in ["0", "4", "7"] {
            let expected = try fixture.floats("int8.\(layer).weight")
            let actual = quantization.weights[layer]?.values.map(Float.init) ?? []
            XCTAssertEqual(actual.count, expected.count, "layer \(layer)")
            XCTAssertLessThanOrEqual(zip(actual, expected).map { abs($0 - $1) }.max() ?? 2, 1, "layer \(layer) int8 weights")
        }
        network.quantization = quantization
        network.precision = .int8
        let difference = relativeRootMeanSquare(try outputs(network, try fixture.floats("input"), batchSize: inputShape[0]), try fixture.floats("output"))
        // Without VNNI, oneDNN 2.6 halves the int8 weights (7 bits) so that pairs of u8 x s8 products fit 16 bits:
        // that rounding moves outputs by about 2% here (ONEDNN_MAX_CPU_ISA=AVX2).
        let tolerance = CPUISA.effective.hasVNNI ? 1e-3 : 4e-2
        XCTAssertLessThan(difference, tolerance, "int8 output against PyTorch's int8 reference (\(CPUISA.effective.name)): relative root-mean-square difference")
        print("int8 against PyTorch's int8 reference: relative RMS difference \(difference)")
    }

    func testQuantizedCheckpointRoundTripsAndRefusesDamage() throws {
        let shape = Shape([3, 12, 12])
        let network = try Network(layers: residual, inputShape: shape, seed: 7)
        let quantization = try NetworkQuantization(network: network, ranges: try network.calibrate(data: images(8, shape: shape, seed: 9)))
        var checkpoint = try Checkpoint(network: network, optimizer: nil, metadata: [:])
        checkpoint.int8Tensors = quantization.tensors
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-int8-\(UUID().uuidString).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try checkpoint.write(to: path)
        let restored = try Network(layers: residual, inputShape: shape)
        try Checkpoint.read(path: path).load(into: restored, path: path)
        XCTAssertEqual(restored.quantization?.ranges, quantization.ranges)
        XCTAssertEqual(restored.quantization?.weights, quantization.weights)

        checkpoint.int8Tensors["int8.conv2.weight"] = SafetensorsTensor(int8s: [1, 2], shape: [2])
        try checkpoint.write(to: path)
        XCTAssertThrowsError(try Checkpoint.read(path: path).load(into: restored, path: path)) { error in
            XCTAssertTrue("\(error)".contains("int8.conv2.weight") && "\(error)".contains(path), "\(error)")
        }
    }

    func testInt8NeedsAQuantizedNetworkAndInference() throws {
        let network = try Network(layers: residual, inputShape: Shape([3, 12, 12]))
        network.precision = .int8
        XCTAssertThrowsError(try network.plan(batchSize: 2, training: false)) { XCTAssertTrue("\($0)".contains("zoo quantize"), "\($0)") }
        XCTAssertThrowsError(try network.plan(batchSize: 2, training: true)) { XCTAssertTrue("\($0)".contains("inference only"), "\($0)") }
    }
}
