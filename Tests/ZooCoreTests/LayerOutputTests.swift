import XCTest
import ZooTestSupport
@testable import ZooCore

/// Per-layer outputs (`Network.forward(images:count:capturing:)`, `plan(capturing:)`) against PyTorch forward hooks
/// on the same modules in eval mode (activations_small_cnn: fused conv+ReLU, a ReLU run by max pooling, batch norm,
/// linear+ReLU, 20 channels in 16-channel blocks).
final class LayerOutputTests: XCTestCase {
    private let fixture = Result { try Fixture("activations_small_cnn") }

    private func network() throws -> (Network, input: [Float], count: Int) {
        let fixture = try fixture.get()
        let inputShape = try fixture.metadata("input_shape", as: [Int].self)
        let network = try fixture.network(layers: try fixture.layers(), inputShape: inputShape, prefix: "param.")
        return (network, try fixture.floats("input"), inputShape[0])
    }

    /// Each captured layer against its hook's tensor, shape and values; returns the outputs by name.
    @discardableResult
    private func check(_ names: [String], precision: Precision = .fp32, tolerance: Double = 1e-5,
                       file: StaticString = #filePath, line: UInt = #line) throws -> [String: LayerOutput] {
        let fixture = try fixture.get()
        let (network, input, count) = try network()
        network.precision = precision
        let (outputs, layers) = try input.withUnsafeBufferPointer { try network.forward(images: $0, count: count, capturing: names) }
        XCTAssertEqual(layers.map(\.name), network.entries.map(\.name).filter(names.contains), "network order", file: file, line: line)
        for layer in layers {
            XCTAssertEqual(layer.shape, try fixture.shape("output.\(layer.name)"), layer.name, file: file, line: line)
            assertClose(layer.values, try fixture.floats("output.\(layer.name)"), tolerance: tolerance, layer.name, file: file, line: line)
        }
        assertClose(outputs, try fixture.floats("output"), tolerance: tolerance, "network output", file: file, line: line)
        return Dictionary(uniqueKeysWithValues: layers.map { ($0.name, $0) })
    }

    func testEveryLayerMatchesPyTorchForwardHooks() throws {
        let all = try network().0.entries.map(\.name)
        let layers = try check(all)
        XCTAssertEqual(layers.count, 13)
        XCTAssertEqual(layers["conv2"]?.type, "conv2d")
        XCTAssertEqual(layers["pool1"]?.sample(2).count, 20 * 6 * 6)
    }

    /// A captured conv or linear keeps its ReLU unfused: its output is before the ReLU, as nn.Conv2d's is.
    func testAConvWithAFusedReLUIsCapturedBeforeTheReLU() throws {
        let layers = try check(["conv1", "conv3", "fc1"])
        for name in ["conv1", "conv3", "fc1"] {
            XCTAssertLessThan(layers[name]?.values.min() ?? 0, -0.1, "\(name) is before its ReLU, so it has negative values")
        }
    }

    /// A captured ReLU or pooling whose conv is not captured: conv1's ReLU must not be left to the pooling after it,
    /// and pool1 (which runs that ReLU when relu1 is not captured) still matches.
    func testReLUsAndPoolingsAfterFusableLayers() throws {
        try check(["relu1"])
        try check(["relu3", "fc1_relu"])
        try check(["pool1", "pool3"])
    }

    /// bf16 plans convert their bf16 blocked activations to float32 NCHW; values within bf16 rounding of PyTorch's.
    func testCapturesFromABFloat16Plan() throws {
        guard CPUISA.effective.hasNativeBFloat16 else { throw XCTSkip("oneDNN runs this CPU without native bf16") }
        try check(["conv1", "pool1", "conv3", "fc2"], precision: .bf16, tolerance: 3e-2)
    }

    /// The copies count against the memory budget before the plan is compiled: room for the plan alone is not enough.
    func testCapturedOutputsCountAgainstTheMemoryBudget() throws {
        let network = try network().0
        defer { MemoryBudget.resetLimit() }
        let batchSize = 1000
        let planBytes = batchSize * MemoryEstimate(network: network).inferencePlanBytesPerImage
        MemoryBudget.setLimit(MemoryBudget.reservedBytes + planBytes + planBytes / 10, origin: "a test")
        XCTAssertThrowsError(try network.plan(batchSize: batchSize, training: false, capturing: network.entries.map(\.name))) { error in
            XCTAssertTrue("\(error)".contains("the evaluation plan at batch size 1,000 needs"), "\(error)")
        }
    }

    func testPlansCaptureOnlyWhatTheyWereAskedFor() throws {
        let (network, _, count) = try network()
        let plain = try network.plan(batchSize: count, training: false)
        XCTAssertEqual(plain.capturedLayerNames, [])
        XCTAssertThrowsError(try plain.withCapturedOutput(of: "conv1") { _, _ in }) { error in
            XCTAssertTrue("\(error)".contains("does not capture layer `conv1`"), "\(error)")
        }
        let capturing = try network.plan(batchSize: count, training: false, capturing: ["pool3", "conv1", "pool3"])
        XCTAssertEqual(capturing.capturedLayerNames, ["conv1", "pool3"])
        XCTAssertTrue(capturing === (try network.plan(batchSize: count, training: false, capturing: ["conv1", "pool3"])), "one plan per set of layers")
        XCTAssertThrowsError(try network.plan(batchSize: count, training: false, capturing: ["conv4"])) { error in
            XCTAssertTrue("\(error)".contains("unknown layer `conv4`"), "\(error)")
            XCTAssertTrue("\(error)".contains("did you mean `conv1`"), "\(error)")
        }
    }
}
