import Foundation
import XCTest
import ZooConfig
import ZooCore
@testable import ZooData

/// Adding a layer, an optimizer, a schedule, a transform or a dataset is one type plus one registry line: these
/// throwaway ones are registered here and nowhere else, and the config parser, the resolved YAML and the
/// did-you-mean hints know them.
final class ExtensionRegistryTests: XCTestCase {
    /// Hands its input on unchanged; `times` (a bare value) is only checked, so a misspelt setting has a hint.
    final class Passthrough: Layer {
        static let typeName = "passthrough"
        static let argumentNames = ["times"]
        static let primaryArgument: String? = "times"

        init(arguments: LayerArguments) throws { _ = try arguments.int("times", default: 1) }
        func build(input: Shape) throws -> LayerBuild { LayerBuild(output: input) }
        func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation { context.input }
    }

    /// SGD without momentum at `factor` times the learning rate.
    struct Scaled: OptimizerSettings {
        static let name = "scaled"
        static let keys = ["lr", "factor"]
        static let summary = "scaled (lr 0.1, factor 0.5)"
        var learningRate: Double
        var factor: Double

        static func read(_ settings: any SettingsReader, named: Bool) throws -> Scaled {
            Scaled(learningRate: try settings.number("lr", default: 0.1, "greater than 0") { $0 > 0 },
                   factor: try settings.number("factor", default: 0.5, "in (0, 1]") { $0 > 0 && $0 <= 1 })
        }

        var written: [(key: String, value: ArgumentValue)] { [("lr", .double(learningRate)), ("factor", .double(factor))] }

        func make(parameters: [(name: String, parameter: Parameter)]) throws -> Optimizer {
            try SGD(parameters: parameters, learningRate: learningRate * factor)
        }
    }

    /// Halves the rate every `every` epochs.
    struct Halving: ScheduleSettings {
        static let name = "halving"
        static let keys = ["every"]
        static let summary = "halving (every 1)"
        var every: Int

        static func read(_ settings: any SettingsReader, epochs: Int) throws -> Halving {
            Halving(every: try settings.integer("every", default: 1, atLeast: 1))
        }

        var written: [(key: String, value: ArgumentValue)] { [("every", .int(every))] }

        func learningRate(base: Double, epoch: Int) -> Double { base / Double(1 << (epoch / every)) }
    }

    /// `invert: true`: 255 - pixel.
    struct Invert: ImageTransform {
        static let name = "invert"
        static let summary = "invert: true"

        static func read(from dataset: any SettingsReader, imageHeight: Int) throws -> Invert? {
            try dataset.flag(name, default: false) ? Invert() : nil
        }

        var written: ArgumentValue { .bool(true) }
        var isDeterministic: Bool { true }
        func output(for input: ImageShape) -> ImageShape { input }
        func step(from input: ImageShape, to output: ImageShape) -> ImageStep {
            { source, target, _ in for index in 0 ..< input.byteCount { target[index] = 255 - source[index] } }
        }
    }

    /// Two 2x2 grey images of two classes in one file: label byte, then four pixels; the same file is both splits.
    enum Tiny: ImageDataset {
        static let name = "tiny"
        static let channels = 1, height = 2, width = 2, classCount = 2
        static let defaultClassNames = ["dark", "light"]
        static let defaultNormalization = Normalization(mean: [0.5], std: [0.5])
        static let installHint = "write tiny.bin"
        static let requiredFiles = [["tiny.bin"]]

        static func load(_ paths: [String], folder: String) throws -> (train: DatasetSplit, test: DatasetSplit, classNames: [String]?) {
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: paths[0])))
            let records = stride(from: 0, to: bytes.count, by: 5).map { bytes[$0 ..< $0 + 5] }
            let split = try DatasetSplit(images: records.flatMap { $0.dropFirst() }, labels: records.map { $0.first ?? 0 },
                                         channels: 1, height: 2, width: 2)
            return (split, split, nil)
        }

        static func counts(_ paths: [String]) throws -> (train: Int, test: Int) { (2, 2) }
    }

    override func setUp() {
        LayerRegistry.registry.register(Passthrough.self)
        OptimizerRegistry.registry.register(Scaled.self)
        ScheduleRegistry.registry.register(Halving.self)
        TransformRegistry.registry.register(Invert.self)
        DatasetRegistry.registry.register(Tiny.self)
    }

    override func tearDown() {
        LayerRegistry.registry.unregister { $0 == Passthrough.self }
        OptimizerRegistry.registry.unregister { $0 == Scaled.self }
        ScheduleRegistry.registry.unregister { $0 == Halving.self }
        TransformRegistry.registry.unregister { $0 == Invert.self }
        DatasetRegistry.registry.unregister { $0 == Tiny.self }
    }

    /// In an architecture file, between two linears: its bare value is its primary setting, and the network
    /// it builds computes what the one without it does.
    func testRegisteredLayerIsParsedBuiltAndCompiled() throws {
        func architecture(_ middle: String) throws -> Architecture {
            try Architecture.parse(text: """
                name: thin
                layers:
                  - flatten
                  - linear: 5
                \(middle)
                  - linear: num_classes
                """, file: "thin.yaml")
        }
        let input = Shape([1, 2, 2])
        let with = try architecture("  - passthrough: 3").network(input: input, numClasses: 2, overrides: [:], seed: 1)
        let without = try architecture("").network(input: input, numClasses: 2, overrides: [:], seed: 1)
        XCTAssertEqual(with.entries.map(\.description.type), ["flatten", "linear", "passthrough", "linear"])
        XCTAssertEqual(with.entries[2].description.arguments["times"]?.value, .int(3))
        // The second linear is layer 3 with it and layer 2 without.
        for (name, parameter) in with.namedParameters {
            try XCTUnwrap(without.parameter(named: name.replacingOccurrences(of: "3.", with: "2."))).write(try parameter.read())
        }
        let outputs = try [with, without].map { network -> [Float] in
            let plan = try network.plan(batchSize: 1, training: false)
            plan.withInput { input in for (index, value) in [1, -2, 3, -4].enumerated() { input[index] = Float(value) } }
            try plan.forward()
            return plan.withOutput { Array($0) }
        }
        XCTAssertEqual(outputs[0], outputs[1])
    }

    func testRegisteredKindsAreReadWrittenAndBuilt() throws {
        let config = try TrainingConfig.resolve(text: """
            dataset: {name: tiny, invert: true}
            optimizer: {name: scaled, factor: 0.25}
            schedule: {name: halving, every: 2}
            """, file: "run.yaml", overrides: [])
        XCTAssertEqual(config.optimizer.settings as? Scaled, Scaled(learningRate: 0.1, factor: 0.25))
        XCTAssertEqual(config.schedule.learningRate(base: 1, epoch: 4), 0.25)
        XCTAssertEqual(config.transforms, [Transform(Invert())])
        XCTAssertEqual(config.dataset.name, "tiny")
        XCTAssertTrue(config.resolvedYAML.contains("optimizer: {name: scaled, lr: 0.1, factor: 0.25}"), config.resolvedYAML)
        XCTAssertEqual(try TrainingConfig.resolve(text: config.resolvedYAML, file: "resolved.yaml", overrides: []), config)
        // `--set` switching to the new optimizer keeps only the settings it takes.
        let switched = try TrainingConfig.resolve(text: "optimizer: {name: sgd, lr: 0.2, momentum: 0.9}", file: "run.yaml", overrides: ["optimizer=scaled"])
        XCTAssertEqual(switched.optimizer.settings as? Scaled, Scaled(learningRate: 0.2, factor: 0.5))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-registry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("tiny"), withIntermediateDirectories: true)
        try Data([0, 10, 20, 30, 40, 1, 200, 210, 220, 230]).write(to: folder.appendingPathComponent("tiny/tiny.bin"))
        let dataset = try DatasetCatalog.load(config.dataset, dataDirectory: folder.path, warn: { XCTFail($0) })
        XCTAssertEqual(dataset.train.labels, [0, 1])
        let pipeline = ImagePipeline(input: ImageShape(channels: 1, height: 2, width: 2), transforms: config.transforms)
        var scratch = ([UInt8](repeating: 0, count: pipeline.scratchCount), [UInt8](repeating: 0, count: pipeline.scratchCount))
        var generator = SeededRandom(seed: 0)
        let inverted = dataset.train.images.withUnsafeBufferPointer { source in
            scratch.0.withUnsafeMutableBufferPointer { first in
                scratch.1.withUnsafeMutableBufferPointer { second in
                    Array(pipeline.apply(UnsafeBufferPointer(rebasing: source[0 ..< 4]), scratch: (first, second), generator: &generator))
                }
            }
        }
        XCTAssertEqual(inverted, [245, 235, 225, 215])
    }

    /// In a training config's model, as the other kinds are in their sections: the config reads and writes back the
    /// model parameter it takes, and the shapes `zoo summary` shows list it; its checks are every layer's.
    func testRegisteredLayerFlowsThroughConfigResolvedYAMLAndSummary() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zoo-registry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("thin.yaml").path
        try """
            name: thin
            params: {copies: 1}
            layers:
              - flatten
              - passthrough: copies
              - linear: num_classes
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let config = try TrainingConfig.resolve(text: "model: {name: \(path), copies: 3}\ndataset: tiny\n", file: "run.yaml", overrides: [])
        XCTAssertTrue(config.resolvedYAML.contains("model: {name: \(path), copies: 3}"), config.resolvedYAML)
        XCTAssertEqual(try TrainingConfig.resolve(text: config.resolvedYAML, file: "resolved.yaml", overrides: []), config)

        let architecture = try ArchitectureRegistry().architecture(named: config.model)
        let input = DatasetInput(name: "tiny", shape: Shape([1, 2, 2]), numClasses: 2)
        func shapes(_ parameters: [String: ArgumentValue]) throws -> NetworkShapes {
            try architecture.shapes(dataset: input, overrides: parameters, places: ["copies": "run.yaml:1:30"])
        }
        let summary = try shapes(config.modelParameters)
        XCTAssertEqual(summary.entries.map(\.description.type), ["flatten", "passthrough", "linear"])
        XCTAssertEqual(summary.entries[1].description.arguments["times"]?.value, .int(3))
        XCTAssertEqual(summary.entries[1].outputShape, Shape([4]))
        XCTAssertEqual(summary.parameterCount, 10)
        // A value out of range is the reader's message, at the layer's line in the architecture file.
        XCTAssertThrowsError(try shapes(["copies": .int(0)])) { error in
            XCTAssertEqual("\(error)", "\(path):5:18: error: passthrough: `times` must be at least 1, not 0")
        }
    }

    func testMisspeltNewNamesGetHints() {
        for (yaml, expected) in [("optimizer: scaeld", "did you mean `scaled`?"), ("schedule: halvng", "did you mean `halving`?"),
                                 ("dataset: tinyy", "did you mean `tiny`?"), ("dataset: {invret: true}", "did you mean `invert`?")] {
            XCTAssertThrowsError(try TrainingConfig.resolve(text: yaml, file: "run.yaml", overrides: []), yaml) { error in
                XCTAssertTrue((error as? ZooError)?.hint?.contains(expected) == true, "\(error)")
            }
        }
        XCTAssertThrowsError(try Architecture.parse(text: "name: x\nlayers:\n  - pasthrough\n", file: "x.yaml").layers(numClasses: 2, inputChannels: 1, overrides: [:])) { error in
            XCTAssertTrue((error as? ZooError)?.hint?.contains("did you mean `passthrough`?") == true, "\(error)")
        }
    }
}
