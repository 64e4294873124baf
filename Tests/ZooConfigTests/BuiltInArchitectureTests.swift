import Foundation
import XCTest
import ZooConfig
import ZooCore

final class BuiltInArchitectureTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A registry that sees only the built-ins (no ./zoo, no ZOO_PATH).
    let registry = ArchitectureRegistry(workingDirectory: "/nonexistent-zoo-test-dir", environment: [:])

    func parameterCount(_ name: String, _ dataset: DatasetInput, overrides: [String: ArgumentValue] = [:]) throws -> Int {
        try registry.architecture(named: name).network(dataset: dataset, overrides: overrides).parameterCount
    }

    func testParameterCountsMatchPyTorchOnMNIST() throws {
        XCTAssertEqual(try parameterCount("fc2layer", .mnist), 6_442)
        XCTAssertEqual(try parameterCount("cnn", .mnist), 6_422)
        XCTAssertEqual(try parameterCount("lenet", .mnist), 44_426)
        XCTAssertEqual(try parameterCount("tinynet", .mnist), 1_199_882)
        // the speedrun nets, counted by benchmarks/pytorch_speedrun.py's translation (batch-norm weight and bias included)
        XCTAssertEqual(try parameterCount("lenet-bn", .mnist), 44_470)
        XCTAssertEqual(try parameterCount("cnn3-bn", .mnist), 104_426)
        XCTAssertEqual(try parameterCount("cnn3-bn-fc", .mnist), 1_020_266)
        XCTAssertEqual(try parameterCount("stridenet", .mnist), 53_970)
    }

    func testParameterCountsMatchPyTorchOnCIFAR10() throws {
        let cifar = try DatasetInput.named("cifar10")
        XCTAssertEqual(try parameterCount("lenet", cifar), 62_006)
        XCTAssertEqual(try parameterCount("vgg-lite", cifar), 9_231_114)
    }

    func testOverridesChangeTheCount() throws {
        // fc2layer with 16 hidden: 784*16+16 + 16*16+16 + 16*10+10
        XCTAssertEqual(try parameterCount("fc2layer", .mnist, overrides: ["n_hidden": .int(16)]), 12_560 + 272 + 170)
        // cnn with 12 features: conv1 1*12*25+12, conv2 12*12*25+12, fc1 12*16*50+50, fc2 510
        XCTAssertEqual(try parameterCount("cnn", .mnist, overrides: ["n_feature": .int(12)]), 312 + 3_612 + 9_650 + 510)
    }

    func testEveryBuiltInBuildsForEveryDatasetAndHasADescription() throws {
        let entries = registry.entries()
        XCTAssertGreaterThanOrEqual(entries.count, 9)
        for entry in entries {
            let architecture = try entry.result.get()
            XCTAssertEqual(architecture.name, entry.name)
            XCTAssertEqual(entry.origin, .builtIn)
            XCTAssertFalse(architecture.description.isEmpty, entry.name)
            for dataset in DatasetInput.all {
                if entry.name == "vgg-lite" && dataset.shape.height == 28 {
                    // Five 2x2 pools take 28 to 0: the error names the arithmetic and the cfg entry.
                    XCTAssertThrowsError(try architecture.network(dataset: dataset)) { error in
                        XCTAssertEqual("\(error)", """
                        zoo/vgg-lite.yaml:6:68: error: layer 28 (maxpool2d) a 2x2 pooling window does not fit its 1x1 input; \
                        the network input 1x28x28 becomes 512x1x1 after layer 27 (relu)
                          hint: use a smaller pooling window, add padding, or remove a pooling layer before it
                        """)
                    }
                    continue
                }
                let network = try architecture.network(dataset: dataset)
                XCTAssertEqual(network.outputShape, Shape([dataset.numClasses]), "\(entry.name) on \(dataset.name)")
            }
        }
        XCTAssertEqual(Set(entries.map(\.name)), ["allconv", "cnn", "cnn3-bn", "cnn3-bn-fc", "fashion-net7", "fc2layer", "lenet", "lenet-bn", "mlp", "mobilenet", "resnet18",
                                               "resnet20", "resnet56", "stridenet", "tinynet", "vgg-lite"])
    }

    func testNamedLayersGiveParameterPrefixes() throws {
        let network = try registry.architecture(named: "lenet").network(dataset: .mnist)
        let names = network.namedParameters.map(\.name)
        XCTAssertEqual(names, ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias",
                               "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"])
        XCTAssertEqual(network.parameter(named: "fc1.weight")?.shape, [120, 256])
    }

    func testVGGBlockExpandsLikeTorchvision() throws {
        let layers = try registry.architecture(named: "vgg-lite").layers(numClasses: 10, inputChannels: 3, overrides: [:])
        // 8 convolutions x (conv, batchnorm, relu) + 5 pools + flatten + linear
        XCTAssertEqual(layers.count, 8 * 3 + 5 + 2)
        XCTAssertEqual(layers.prefix(4).map(\.type), ["conv2d", "batchnorm", "relu", "maxpool2d"])
        XCTAssertEqual(layers[0].arguments["padding"]?.value, .int(1))
        XCTAssertEqual(layers[0].location?.line, 6)
    }

    func testRepeatArithmeticAndLocations() throws {
        let architecture = try registry.architecture(named: "allconv")
        let layers = try architecture.layers(numClasses: 10, inputChannels: 1, overrides: ["width": .int(8)])
        XCTAssertEqual(layers.filter { $0.type == "conv2d" }.map { $0.arguments["out"]?.value }, [.int(8), .int(16), .int(8), .int(16), .int(10)])
        XCTAssertEqual(layers[3].location?.line, 14)
        XCTAssertEqual(layers[3].location?.file, "zoo/allconv.yaml")
    }

    func testPrimaryArgumentsAndParameterReferences() throws {
        let text = """
        name: tiny
        description: test
        params: {h: 20, p: 0.3}
        layers:
          - flatten
          - linear: h
          - dropout: p
          - linear: {out: 2 * h + 1, bias: false}
          - maxpool2d: 2
        """
        let layers = try Architecture.parse(text: text, file: "tiny.yaml").layers(numClasses: 10, inputChannels: 1, overrides: ["p": .double(0.5)])
        XCTAssertEqual(layers[1].arguments["out"], LayerArgument(.int(20), at: SourceLocation(file: "tiny.yaml", line: 6, column: 13)))
        XCTAssertEqual(layers[2].arguments["p"]?.value, .double(0.5))
        XCTAssertEqual(layers[3].arguments["out"]?.value, .int(41))
        XCTAssertEqual(layers[3].arguments["bias"]?.value, .bool(false))
        XCTAssertEqual(layers[4].arguments["kernel"]?.value, .int(2))
    }

    func testArchitectureKeepsItsTextForCheckpoints() throws {
        let architecture = try registry.architecture(named: "cnn")
        let again = try Architecture.parse(text: architecture.text, file: "checkpoint")
        XCTAssertEqual(try again.layers(numClasses: 10, inputChannels: 1, overrides: [:]).map(\.type),
                       try architecture.layers(numClasses: 10, inputChannels: 1, overrides: [:]).map(\.type))
        XCTAssertEqual(architecture.source, "zoo/cnn.yaml")
    }

    /// The built-ins are compiled in from Sources/ZooConfig/BuiltInArchitectures.swift; it must match zoo/.
    func testEmbeddedFilesMatchZooFolder() throws {
        let folder = Self.repositoryRoot.appendingPathComponent("zoo")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(BuiltInArchitectures.files.map(\.file), files, "run scripts/embed-zoo.sh")
        for (file, text) in BuiltInArchitectures.files {
            let onDisk = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            XCTAssertEqual(text, onDisk, "\(file) differs from zoo/\(file): run scripts/embed-zoo.sh")
        }
    }

    func testUserFoldersOverrideBuiltInsAndAreFound() throws {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-registry-\(UUID().uuidString)")
        let local = temporary.appendingPathComponent("zoo")
        let extra = temporary.appendingPathComponent("extra")
        try FileManager.default.createDirectory(at: local, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        try "name: lenet\ndescription: mine\nlayers: [flatten, {linear: num_classes}]\n"
            .write(to: local.appendingPathComponent("lenet.yaml"), atomically: true, encoding: .utf8)
        try "name: extra-net\ndescription: from ZOO_PATH\nlayers: [flatten, {linear: num_classes}]\n"
            .write(to: extra.appendingPathComponent("extra-net.yaml"), atomically: true, encoding: .utf8)
        try "name: wrong\nlayers: [relu]\n".write(to: extra.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let builtInCNN = BuiltInArchitectures.files.first { $0.file == "cnn.yaml" }!.text
        try builtInCNN.write(to: local.appendingPathComponent("cnn.yaml"), atomically: true, encoding: .utf8)
        let registry = ArchitectureRegistry(workingDirectory: temporary.path, environment: ["ZOO_PATH": "/nowhere:" + extra.path])
        let entries = Dictionary(uniqueKeysWithValues: registry.entries().map { ($0.name, $0) })
        XCTAssertEqual(entries["lenet"]?.origin, .workingDirectory(local.path))
        XCTAssertEqual(entries["lenet"]?.overridesBuiltIn, true)
        XCTAssertEqual(try entries["lenet"]?.result.get().description, "mine")
        XCTAssertEqual(entries["extra-net"]?.origin, .zooPath(extra.path))
        XCTAssertEqual(entries["cnn"]?.origin, .workingDirectory(local.path))
        XCTAssertEqual(entries["cnn"]?.overridesBuiltIn, false, "an identical copy is not an override")
        XCTAssertEqual(entries["tinynet"]?.origin, .builtIn)
        guard case .failure(let error)? = entries["broken"]?.result else { return XCTFail("broken.yaml should fail") }
        XCTAssertTrue(error.description.contains("declares `name: wrong`"), error.description)
        XCTAssertEqual(try registry.architecture(named: "extra-net").parameterCount(.mnist), 7_850)
        XCTAssertEqual(try registry.architecture(named: "lenet").description, "mine")
        XCTAssertEqual(try registry.architecture(named: extra.appendingPathComponent("extra-net.yaml").path).name, "extra-net")
    }
}

extension Architecture {
    func parameterCount(_ dataset: DatasetInput) throws -> Int { try network(dataset: dataset).parameterCount }
}
