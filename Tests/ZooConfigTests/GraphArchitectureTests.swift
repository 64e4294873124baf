import Foundation
import XCTest
import ZooConfig
import ZooCore

/// Architectures as graphs: `from:`, `add`, `concat`, grouped convolutions and blocks, their errors,
/// and the ResNets and MobileNet of the zoo.
final class GraphArchitectureTests: ArchitectureTestCase {
    let registry = ArchitectureRegistry(workingDirectory: "/nonexistent-zoo-test-dir", environment: [:])

    /// The hand-written graph, every name explicit.
    static let handWritten = """
    name: two-blocks
    description: stem, an identity block, a projection block, two branches joined by concat
    layers:
      - conv2d: {name: stem, out: 8, kernel: 3, padding: 1, bias: false}
      - batchnorm: {name: stem_bn}
      - relu: {name: stem_relu}
      - conv2d: {name: block1_conv, out: 8, kernel: 3, padding: 1, bias: false}
      - batchnorm: {name: block1_bn}
      - add: {name: block1_add, from: [-1, stem_relu]}
      - relu: {name: block1}
      - conv2d: {name: block2_conv, out: 16, kernel: 3, stride: 2, padding: 1, bias: false}
      - batchnorm: {name: block2_bn}
      - conv2d: {name: block2_projection, out: 16, kernel: 1, stride: 2, bias: false, from: block1}
      - add: {name: block2_add, from: [block2_bn, block2_projection]}
      - relu: {name: block2}
      - conv2d: {name: left, out: 8, kernel: 1, groups: 2}
      - conv2d: {name: right, out: 16, kernel: 3, padding: 2, dilation: 2, groups: 16, from: block2}
      - concat: {name: joined, from: [left, right]}
      - global_avgpool: {name: pool}
      - flatten: {name: flat}
      - linear: {name: classifier, out: num_classes}
    """

    func testHandWrittenGraphTrains() throws {
        let network = try Architecture.parse(text: Self.handWritten, file: "two-blocks.yaml").network(dataset: .mnist, seed: 3)
        XCTAssertEqual(network.entries.first { $0.name == "block2_projection" }?.inputs, [6])
        XCTAssertEqual(network.entries.first { $0.name == "joined" }?.outputShape, Shape([24, 14, 14]))
        let plan = try network.plan(batchSize: 8, training: true)
        var random = SeededRandom(seed: 5)
        let images = random.uniform(1, count: 8 * 28 * 28)
        let labels: [Int32] = (0..<8).map { Int32($0 % 10) }
        let optimizer = try SGD(parameters: network.namedParameters.filter(\.parameter.isTrainable), learningRate: 0.05, momentum: 0.9)
        var losses: [Double] = []
        for _ in 0..<15 {
            plan.withInput { buffer in for index in buffer.indices { buffer[index] = images[index] } }
            try plan.forward()
            let result = try labels.withUnsafeBufferPointer { labels in
                try plan.withOutput { output in
                    try plan.withOutputGradient { gradient in
                        try Loss.crossEntropy.evaluate(output: output, labels: labels, classes: 10, gradient: gradient)
                    }
                }
            }
            losses.append(result.loss)
            try plan.backward()
            try optimizer.step()
        }
        XCTAssertLessThan(losses.last!, losses.first! - 0.2, "\(losses)")
    }

    func testParameterCountsOnCIFAR10AndMNIST() throws {
        let cifar = try DatasetInput.named("cifar10")
        for (name, onCIFAR, onMNIST) in [("resnet20", 272_474, 272_186), ("resnet56", 855_770, 855_482),
                                          ("resnet18", 11_173_962, 11_172_810), ("mobilenet", 3_217_226, 3_216_650)] {
            let architecture = try registry.architecture(named: name)
            XCTAssertEqual(try architecture.network(dataset: cifar).parameterCount, onCIFAR, name)
            XCTAssertEqual(try architecture.network(dataset: .mnist).parameterCount, onMNIST, name)
        }
    }

    func testResNetStateDictNamesArePyTorchs() throws {
        let names = try registry.architecture(named: "resnet20").network(dataset: .mnist).namedParameters.map(\.name)
        for name in ["conv1.weight", "bn1.weight", "bn1.running_var", "layer1.0.conv1.weight", "layer1.2.bn2.bias", "layer2.0.conv2.weight",
                     "layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.running_mean", "layer3.2.bn1.weight", "linear.weight", "linear.bias"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertFalse(names.contains { $0.hasPrefix("layer1.0.shortcut") || $0.hasPrefix("layer2.1.shortcut") })
        let mobilenet = try registry.architecture(named: "mobilenet").network(dataset: .mnist).namedParameters.map(\.name)
        XCTAssertTrue(mobilenet.contains("layers.12.conv2.weight"))
        XCTAssertEqual(try registry.architecture(named: "mobilenet").network(dataset: .mnist).parameter(named: "layers.1.conv1.weight")?.shape, [64, 1, 3, 3])
    }

    func testSequentialFileKeepsItsNames() throws {
        let names = try registry.architecture(named: "vgg-lite").network(dataset: .named("cifar10")).namedParameters.map(\.name)
        XCTAssertEqual(Array(names.prefix(3)), ["0.weight", "0.bias", "1.weight"])
    }

    // MARK: Errors, one per line of the list

    let stem = "  - conv2d: {name: stem, out: 4, kernel: 3, padding: 1}\n  - relu: {name: stem_relu}\n"

    func testFromUnknownNameSuggestsTheNearest() {
        expectError(layers(stem + "  - conv2d: {out: 4, kernel: 1, from: stem_rleu}\n"), line: 5, column: 39, "`from: stem_rleu` names no layer",
                    hint: "did you mean `stem_relu`?", dataset: .mnist)
    }

    func testFromALaterLayer() {
        expectError(layers(stem + "  - conv2d: {out: 4, kernel: 1, from: head}\n  - relu: {name: head}\n"), line: 5,
                    "`from: head` names a later layer", dataset: .mnist)
    }

    func testFromItself() {
        expectError(layers(stem + "  - conv2d: {name: me, out: 4, kernel: 1, from: me}\n"), line: 5, "`from: me` names the layer itself", dataset: .mnist)
    }

    func testOffsetBeforeTheFirstLayer() {
        expectError(layers(stem + "  - conv2d: {out: 4, kernel: 1, from: -4}\n"), line: 5, "`from: -4` points before the first layer", dataset: .mnist)
    }

    func testAddWithOneInput() {
        expectError(layers(stem + "  - add: {from: [stem]}\n"), line: 5, "add needs two or more inputs in `from:`, not 1", dataset: .mnist)
    }

    func testAddWithAnEmptyList() {
        expectError(layers(stem + "  - add: {from: []}\n"), line: 5, "`from` is an empty list")
    }

    func testAddWithoutFrom() {
        expectError(layers(stem + "  - add\n"), line: 5, "add joins two or more layers but has no `from:`", dataset: .mnist)
    }

    func testAddOfDifferentShapesShowsBoth() {
        expectError(layers(stem + "  - maxpool2d: 2\n  - add: {from: [-1, stem_relu]}\n"), line: 6,
                    "adds inputs of different shapes (4x14x14 and 4x28x28); its inputs are 4x14x14 from `2` (maxpool2d at line 5) and 4x28x28 from `stem_relu` (relu at line 4)",
                    dataset: .mnist)
    }

    func testConcatOfDifferentSizes() {
        expectError(layers(stem + "  - maxpool2d: 2\n  - concat: {from: [-1, stem]}\n"), line: 6, "joins images of different heights and widths (4x14x14 and 4x28x28)",
                    dataset: .mnist)
    }

    func testConcatOfAnImageAndAVector() {
        expectError(layers(stem + "  - flatten\n  - concat: {from: [-1, stem]}\n"), line: 6, "joins an image and a flat vector", dataset: .mnist)
    }

    func testZeroGroups() {
        expectError(layers("  - conv2d: {out: 4, kernel: 3, groups: 0}\n"), line: 3, column: 41, "`groups` must be at least 1, not 0")
    }

    func testGroupsNotDividingOutputChannels() {
        expectError(layers("  - conv2d: {out: 6, kernel: 3, groups: 4}\n"), line: 3, column: 41, "`groups` (4) must divide the output channels (6)")
    }

    func testGroupsNotDividingInputChannels() {
        expectError(layers(stem + "  - conv2d: {out: 6, kernel: 3, groups: 3}\n"), line: 5, column: 41, "`groups` (3) must divide the input channels (4)",
                    dataset: .mnist)
    }

    func testBlockUsedInsideItself() {
        let yaml = "name: bad\nblocks:\n  loop:\n    layers:\n      - relu\n      - loop\nlayers:\n  - conv2d: {out: 4, kernel: 3}\n  - loop\n"
        expectError(yaml, line: 6, "block `loop` is used inside itself (loop -> loop)")
    }

    func testUnusedOutput() {
        expectError(layers(stem + "  - conv2d: {name: lost, out: 4, kernel: 1}\n  - global_avgpool: {from: stem_relu}\n"), line: 5,
                    "the output of layer lost (conv2d) is never used", dataset: .mnist)
    }

    func testUnknownBlockSettingSuggestsTheNearest() {
        let yaml = "name: bad\nblocks:\n  unit:\n    params: {out: 4}\n    layers:\n      - conv2d: {out: out, kernel: 1}\nlayers:\n  - unit: {otu: 8}\n"
        expectError(yaml, line: 8, "block `unit` has no setting `otu`", hint: "did you mean `out`?")
    }
}
