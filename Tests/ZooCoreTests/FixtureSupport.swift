import Foundation
import XCTest
@testable import ZooCore
import ZooTestSupport

/// A PyTorch reference file written by scripts/make_fixtures.py.
struct Fixture {
    let name: String
    let file: SafetensorsFile

    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func names(prefix: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".safetensors") }
            .map { String($0.dropLast(".safetensors".count)) }
            .sorted()
    }

    init(_ name: String) throws {
        self.name = name
        file = try SafetensorsFile.read(path: Fixture.folder.appendingPathComponent("\(name).safetensors").path)
    }

    func floats(_ key: String) throws -> [Float] { try file.tensor(key, in: name).floats }
    func shape(_ key: String) throws -> [Int] { try file.tensor(key, in: name).shape }
    func has(_ key: String) -> Bool { file.tensors[key] != nil }

    /// A parameter's starting values: `param.NAME` (F32), or `param16.NAME`, float16 bits in a U8 tensor
    /// (large nets, see scripts/make_fixtures.py); nil when the fixture has neither.
    func parameterValues(_ name: String) throws -> [Float]? {
        if has("param.\(name)") { return try floats("param.\(name)") }
        guard let tensor = file.tensors["param16.\(name)"] else { return nil }
        return tensor.bytes.withUnsafeBytes { raw in
            (0..<raw.count / 2).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) }
        }
    }
    func labels() throws -> [Int32] { try file.tensor("labels", in: name).int64s.map { Int32($0) } }

    func metadata<Value: Decodable>(_ key: String, as type: Value.Type) throws -> Value {
        guard let text = file.metadata[key] else { throw ZooError("\(name) has no metadata \(key)") }
        return try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }

    func layers() throws -> [LayerDescription] {
        try metadata("layers", as: [JSONLayer].self).map(\.description)
    }

    /// Builds the network the fixture describes and loads the fixture's parameters: `prefix` + the parameter's
    /// name, without its layer index when `singleLayer` (layer fixtures say `param.weight`, not `param.0.weight`).
    func network(layers: [LayerDescription], inputShape: [Int], prefix: String, singleLayer: Bool = false) throws -> Network {
        let network = try Network(layers: layers, inputShape: Shape(Array(inputShape.dropFirst())))
        for (name, parameter) in network.namedParameters {
            let key = prefix + (singleLayer ? parameter.name : name)
            if has(key) { try parameter.write(try floats(key)) }
        }
        return network
    }
}

/// A layer description as the fixture script writes it: {"type": ..., "args": {...}}, with "name" and
/// "from" (names or negative offsets) in graph fixtures.
struct JSONLayer: Decodable {
    let type: String
    let args: [String: ArgumentValue]
    let name: String?
    let from: [ArgumentValue]?

    var description: LayerDescription {
        let inputs = (from ?? []).map { reference -> LayerInput in
            if case .int(let offset) = reference { return LayerInput(.offset(offset)) }
            if case .string(let name) = reference { return LayerInput(.name(name)) }
            return LayerInput(.name("\(reference)"))
        }
        return LayerDescription(type: type, name: name, arguments: args.mapValues { LayerArgument($0) }, inputs: inputs)
    }
}

extension Plan {
    func setInput(_ values: [Float]) {
        withInput { buffer in
            precondition(buffer.count == values.count, "input size")
            for index in values.indices { buffer[index] = values[index] }
        }
    }

    var outputValues: [Float] { withOutput { Array($0) } }

    var inputGradientValues: [Float] { get throws { try withInputGradient { Array($0) } } }

    func setOutputGradient(_ values: [Float]) throws {
        try withOutputGradient { buffer in
            for index in values.indices { buffer[index] = values[index] }
        }
    }

    /// Cross-entropy, NLL or MSE of the current output, writing its gradient for `backward()`.
    func applyLoss(_ loss: Loss, labels: [Int32], classes: Int) throws -> Loss.Result {
        try labels.withUnsafeBufferPointer { try applyLoss(loss, labels: $0, classes: classes) }
    }

    /// Forward, loss and backward, as the trainer runs them.
    func forwardLossBackward(_ loss: Loss, labels: [Int32], classes: Int) throws -> Loss.Result {
        try labels.withUnsafeBufferPointer { try forwardLossBackward(loss, labels: $0, classes: classes) }
    }
}

extension Fixture {
    /// A whole-network fixture's training step: forward on its input, output and loss checked within `tolerance`
    /// of each one's scale, then backward. Returns the report line so far.
    func checkForwardAndLoss(_ plan: Plan, classes: Int, tolerance: Double, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        plan.setInput(try floats("input"))
        try plan.forward()
        var report = "\(name): output \(assertClose(plan.outputValues, try floats("output"), tolerance: tolerance, "output", file: file, line: line))"
        let loss = try XCTUnwrap(Loss(rawValue: self.file.metadata["loss"] ?? ""))
        let result = try plan.applyLoss(loss, labels: try labels(), classes: classes)
        report += " loss \(assertClose([Float(result.loss)], try floats("loss"), tolerance: tolerance, "loss", file: file, line: line))"
        try plan.backward()
        return report
    }
}
