import Foundation
import XCTest
import ZooTestSupport
@testable import ZooCore

/// Freezing layers (`Network.freeze`) and starting from another checkpoint (`Checkpoint.loadMatching`).
final class FineTuningTests: XCTestCase {
    private static let inputShape = Shape([1, 8, 8])

    /// conv1 → relu → conv2 → (bn2) → relu → flatten → fc: small enough to train in a test, deep enough
    /// that a layer can be frozen between two that train.
    private func layers(classes: Int = 4, batchNorm: Bool = false, lastName: String = "fc") -> [LayerDescription] {
        [.init(type: "conv2d", name: "conv1", arguments: ["out": .init(.int(3)), "kernel": .init(.int(3))]), .init(type: "relu"),
         .init(type: "conv2d", name: "conv2", arguments: ["out": .init(.int(4)), "kernel": .init(.int(3))])]
            + (batchNorm ? [.init(type: "batchnorm", name: "bn2")] : [])
            + [.init(type: "relu"), .init(type: "flatten"), .init(type: "linear", name: lastName, arguments: ["out": .init(.int(classes))])]
    }

    private func network(seed: UInt64 = 3, freezing frozen: [String] = [], batchNorm: Bool = false) throws -> Network {
        let network = try Network(layers: layers(batchNorm: batchNorm), inputShape: Self.inputShape, seed: seed)
        try network.freeze(frozen)
        return network
    }

    private func batch(_ count: Int, seed: UInt64 = 9) -> (images: [Float], labels: [Int32]) {
        var random = SeededRandom(seed: seed)
        return (random.uniform(1, count: count * Self.inputShape.elementCount), (0..<count).map { Int32($0 % 4) })
    }

    private func values(_ network: Network, _ name: String) throws -> [Float] { try XCTUnwrap(network.parameter(named: name)).read() }

    func testFrozenParametersStayBitIdenticalWhileTheOthersTrain() throws {
        let network = try self.network(freezing: ["conv1"])
        let before = try network.namedParameters.map { try $0.parameter.read() }
        // Weight decay would move a frozen weight even with a zero gradient, were the optimizer to hold it.
        let optimizer = try SGD(parameters: network.namedParameters, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        let plan = try network.plan(batchSize: 8, training: true)
        let data = batch(8)
        for _ in 0..<3 {
            plan.setInput(data.images)
            _ = try plan.forwardLossBackward(.crossEntropy, labels: data.labels, classes: 4)
            try optimizer.step()
        }
        for ((name, parameter), old) in zip(network.namedParameters, before) {
            if name.hasPrefix("conv1.") {
                XCTAssertEqual(try parameter.read(), old, "\(name) is frozen")
                XCTAssertNil(parameter.gradient, "\(name) has no gradient")
            } else {
                XCTAssertNotEqual(try parameter.read(), old, "\(name) trains")
            }
        }
        XCTAssertFalse(try optimizer.state().tensors.keys.contains { $0.hasPrefix("conv1.") }, "no optimizer state for frozen parameters")
        XCTAssertEqual(network.parameterLayers.map(\.trains), [false, true, true])
    }

    /// Gradients of the layers that train are those of the unfrozen network: skipping work for frozen layers
    /// leaves the rest as it was, and a frozen layer between two that train still passes the gradient back.
    func testTrainedLayersGetTheUnfrozenNetworksGradients() throws {
        let data = batch(8)
        func gradients(freezing frozen: [String]) throws -> (gradients: [String: [Float]], operations: [String]) {
            let network = try self.network(freezing: frozen)
            let plan = try network.plan(batchSize: 8, training: true)
            plan.setInput(data.images)
            _ = try plan.forwardLossBackward(.crossEntropy, labels: data.labels, classes: 4)
            var gradients: [String: [Float]] = [:]
            for (name, parameter) in network.namedParameters where parameter.gradient != nil { gradients[name] = try parameter.readGradient() }
            return (gradients, plan.implementations.map { "\($0.layer) \($0.operation)" })
        }
        let all = try gradients(freezing: [])
        let head = try gradients(freezing: ["conv1", "conv2"])
        XCTAssertEqual(Set(head.gradients.keys), ["fc.weight", "fc.bias"])
        for (name, values) in head.gradients { XCTAssertEqual(values, all.gradients[name], name) }
        XCTAssertFalse(head.operations.contains { $0.hasPrefix("conv") && $0.contains("backward") },
                       "no backward for convolutions before the first layer that trains: \(head.operations)")
        XCTAssertTrue(all.operations.contains("conv2 convolution backward data"))

        let middle = try gradients(freezing: ["conv2"])
        XCTAssertEqual(Set(middle.gradients.keys), ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"])
        for (name, values) in middle.gradients { XCTAssertEqual(values, all.gradients[name], name) }
        XCTAssertTrue(middle.operations.contains("conv2 convolution backward data"))
        XCTAssertFalse(middle.operations.contains("conv2 convolution backward weights"))
    }

    func testFrozenBatchNormNormalisesWithItsRunningStatisticsAndKeepsThem() throws {
        try checkFrozenBatchNorm(freezing: ["conv1", "conv2", "bn2"])
        // Between layers that train, it passes the gradient back through the fixed normalisation.
        let network = try checkFrozenBatchNorm(freezing: ["bn2"])
        let gradient = try XCTUnwrap(network.parameter(named: "conv1.weight")).readGradient()
        XCTAssertTrue(gradient.allSatisfy(\.isFinite) && gradient.contains { $0 != 0 }, "\(gradient)")
    }

    @discardableResult
    private func checkFrozenBatchNorm(freezing frozen: [String]) throws -> Network {
        let network = try self.network(freezing: frozen, batchNorm: true)
        try XCTUnwrap(network.parameter(named: "bn2.running_mean")).write([0.3, -0.2, 0.1, 0.05])
        try XCTUnwrap(network.parameter(named: "bn2.running_var")).write([0.5, 2, 1.5, 0.8])
        let statistics = try ["bn2.running_mean", "bn2.running_var"].map { try values(network, $0) }
        let data = batch(8)
        let inference = try network.plan(batchSize: 8, training: false)
        inference.setInput(data.images)
        try inference.forward()
        let training = try network.plan(batchSize: 8, training: true)
        training.setInput(data.images)
        _ = try training.forwardLossBackward(.crossEntropy, labels: data.labels, classes: 4)
        assertClose(training.outputValues, inference.outputValues, tolerance: 1e-6, "a frozen batch norm trains as in inference")
        XCTAssertEqual(try ["bn2.running_mean", "bn2.running_var"].map { try values(network, $0) }, statistics,
                       "running statistics are not updated")
        return network
    }

    func testFreezeNamesLayersBlocksOrAllButLastAndRefusesWhatItCannot() throws {
        XCTAssertEqual(try network().freeze([Network.allButLast]), ["conv1", "conv2"])
        XCTAssertEqual(try network(batchNorm: true).freeze([Network.allButLast]), ["conv1", "conv2", "bn2"])
        XCTAssertThrowsError(try network().freeze(["conv3"])) { error in
            XCTAssertEqual((error as? ZooError)?.hint, "did you mean `conv1`?")
        }
        XCTAssertThrowsError(try network().freeze(["conv1", "conv2", "fc"])) { error in
            XCTAssertTrue("\(error)".contains("leaves no layer to train"), "\(error)")
        }
        XCTAssertThrowsError(try network().freeze(["1"])) { error in
            XCTAssertTrue("\(error)".contains("names a layer without parameters"), "\(error)")
        }
        let compiled = try network()
        _ = try compiled.plan(batchSize: 2, training: true)
        XCTAssertThrowsError(try compiled.freeze(["conv1"]))
    }

    // MARK: Starting from a checkpoint

    private func checkpointFile(of network: Network) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fine-tuning-\(UUID().uuidString).safetensors").path
        try Checkpoint(network: network, optimizer: nil, metadata: [:]).write(to: path)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    func testLoadsEveryTensorMatchingByNameAndShapeAndLeavesTheOthers() throws {
        let source = try network(seed: 1)
        let path = try checkpointFile(of: source)
        // Six classes instead of four: fc's shapes differ, so fc keeps its own initialisation.
        let target = try Network(layers: layers(classes: 6), inputShape: Self.inputShape, seed: 2)
        let fcBefore = try values(target, "fc.weight")
        let transfer = try Checkpoint.read(path: path).loadMatching(into: target, path: path)
        XCTAssertEqual(transfer.loaded, ["conv1", "conv2"])
        XCTAssertEqual(transfer.notLoaded.map(\.layer), ["fc"])
        XCTAssertTrue(transfer.notLoaded[0].reason.contains("[4, 64] there, [6, 64] here"), transfer.notLoaded[0].reason)
        for name in ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias"] {
            XCTAssertEqual(try values(target, name), try values(source, name), name)
        }
        XCTAssertEqual(try values(target, "fc.weight"), fcBefore)
        XCTAssertEqual(target.trainingStep, 0, "a fine-tuning run starts at step 0")
    }

    func testRefusesACheckpointOfWhichNothingMatchesAndLeavesTheNetworkAsBuilt() throws {
        let source = try Network(layers: [.init(type: "flatten"), .init(type: "linear", name: "head", arguments: ["out": .init(.int(4))])],
                                 inputShape: Self.inputShape, seed: 1)
        let path = try checkpointFile(of: source)
        let target = try network()
        let before = try target.namedParameters.map { try $0.parameter.read() }
        XCTAssertThrowsError(try Checkpoint.read(path: path).loadMatching(into: target, path: path)) { error in
            let error = error as? ZooError
            XCTAssertEqual(error?.place, path)
            XCTAssertTrue(error?.message.contains("no tensor of the checkpoint matches the model") ?? false, "\(String(describing: error))")
            XCTAssertTrue(error?.hint?.contains("head.weight [4, 64]") ?? false, "\(String(describing: error?.hint))")
        }
        XCTAssertEqual(try target.namedParameters.map { try $0.parameter.read() }, before)
    }
}
