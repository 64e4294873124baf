import Foundation

/// An ONNX graph under construction: nodes, float initializers and fresh value names. Layers add their
/// nodes through `ONNXExportable` (one conformance per layer type, in ONNXLayers.swift).
/// Field numbers are those of onnx 1.23's `onnx.proto`.
public struct ONNXGraph {
    private(set) var nodes: [ProtobufMessage] = []
    private(set) var initializers: [ProtobufMessage] = []
    private var usedNames: Set<String> = []

    /// An attribute of a node: an integer, a float, or a list of integers.
    public enum Attribute {
        case int(Int)
        case float(Float)
        case ints([Int])
    }

    /// Adds one node and returns the name of its output: `output`, or `<layer name>_<op type>` made unique.
    @discardableResult
    public mutating func node(_ operation: String, _ inputs: [String], attributes: [String: Attribute] = [:], name: String,
                              output: String? = nil) -> String {
        let output = output ?? unique("\(name)_\(operation)")
        var node = ProtobufMessage()
        for input in inputs { node.string(1, input) }
        node.string(2, output)
        node.string(3, output)
        node.string(4, operation)
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) {
            var attribute = ProtobufMessage()
            attribute.string(1, key)
            switch value {
            case .float(let number):
                attribute.float(2, number)
                attribute.int(20, 1)
            case .int(let number):
                attribute.int(3, Int64(number))
                attribute.int(20, 2)
            case .ints(let numbers):
                attribute.packedInts(8, numbers.map(Int64.init))
                attribute.int(20, 7)
            }
            node.message(5, attribute)
        }
        nodes.append(node)
        return output
    }

    /// Adds a float32 constant and returns its name.
    @discardableResult
    public mutating func initializer(_ name: String, _ values: [Float], shape: [Int]) -> String {
        var raw = [UInt8]()
        raw.reserveCapacity(values.count * 4)
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        return initializer(name, raw: raw, dataType: ONNXModel.float32, shape: shape)
    }

    /// Adds a constant of `dataType` (`TensorProto.DataType`) given as little-endian bytes and returns its name.
    mutating func initializer(_ name: String, raw: [UInt8], dataType: Int64, shape: [Int]) -> String {
        let name = unique(name)
        var tensor = ProtobufMessage()
        tensor.packedInts(1, shape.map(Int64.init))
        tensor.int(2, dataType)
        tensor.string(8, name)
        tensor.bytes(9, raw)
        initializers.append(tensor)
        return name
    }

    mutating func reserve(_ name: String) { usedNames.insert(name) }

    private mutating func unique(_ base: String) -> String {
        var name = base
        var suffix = 1
        while usedNames.contains(name) {
            suffix += 1
            name = "\(base)_\(suffix)"
        }
        usedNames.insert(name)
        return name
    }
}

/// A layer type that can write itself as ONNX nodes. `inputs` name the values the layer reads (one for every
/// layer of a sequential network); the result is the name of its output value.
public protocol ONNXExportable {
    func exportONNX(_ graph: inout ONNXGraph, inputs: [String], entry: Network.Entry) throws -> String
}

/// A trained network as an ONNX model for inference: input `input` float32 [batch, C, H, W] with pixels in
/// [0, 1], the dataset normalisation as the first two nodes, output `output`, dynamic batch.
public enum ONNXModel {
    public static let opsetVersion: Int64 = 17
    /// IR version 8 goes with opset 17 (ONNX 1.12) and is read by every onnxruntime since 1.12.
    static let irVersion: Int64 = 8
    static let float32: Int64 = 1
    static let uint8: Int64 = 2
    static let int8: Int64 = 3

    /// `mean` and `std` have one entry per input channel (or one for all); nil means no normalisation.
    /// With `quantization`, the graph is the network's int8 plan in QDQ form (see `ONNXInt8Writer`).
    public static func encode(network: Network, quantization: NetworkQuantization? = nil, mean: [Float]?, std: [Float]?,
                              metadata: [String: String]) throws -> [UInt8] {
        var graph = ONNXGraph()
        graph.reserve("input")
        graph.reserve("output")
        var value = "input"
        let channels = network.inputShape.channels
        if let mean, let std, !mean.isEmpty, !std.isEmpty {
            let perChannel = { (values: [Float]) in (0..<channels).map { values[min($0, values.count - 1)] } }
            let statisticsShape = network.inputShape.isImage ? [1, channels, 1, 1] : [1, channels]
            let meanName = graph.initializer("normalize.mean", perChannel(mean), shape: statisticsShape)
            let stdName = graph.initializer("normalize.std", perChannel(std), shape: statisticsShape)
            value = graph.node("Sub", [value, meanName], name: "normalize")
            value = graph.node("Div", [value, stdName], name: "normalize")
        }
        // The value each layer writes, by position; a layer reads those its `from:` names (-1: the input).
        var outputs: [String] = []
        var int8 = try quantization.map { try ONNXInt8Writer(network: network, quantization: $0) }
        for (index, entry) in network.entries.enumerated() {
            let inputs = entry.inputs.map { $0 < 0 ? value : outputs[$0] }
            outputs.append(try int8?.export(index, inputs: inputs, &graph) ?? exportable(entry).exportONNX(&graph, inputs: inputs, entry: entry))
        }
        graph.node("Identity", [outputs.last ?? value], name: "output", output: "output")
        var graphMessage = ProtobufMessage()
        for node in graph.nodes { graphMessage.message(1, node) }
        graphMessage.string(2, "zoo")
        for initializer in graph.initializers { graphMessage.message(5, initializer) }
        graphMessage.message(11, valueInfo("input", [nil] + network.inputShape.dimensions))
        graphMessage.message(12, valueInfo("output", [nil] + network.outputShape.dimensions))

        var model = ProtobufMessage()
        model.int(1, irVersion)
        model.string(2, "zoo")
        model.message(8, .with { $0.string(1, ""); $0.int(2, opsetVersion) })  // the default domain's opset
        model.message(7, graphMessage)
        for (key, text) in metadata.sorted(by: { $0.key < $1.key }) {
            model.message(14, .with { $0.string(1, key); $0.string(2, text) })
        }
        return model.bytes
    }

    static func exportable(_ entry: Network.Entry) throws -> ONNXExportable {
        guard let layer = entry.layer as? ONNXExportable else {
            throw ZooError("layer `\(entry.name)` (\(entry.description.type)) has no ONNX mapping yet", at: entry.description.location,
                           hint: "export to .safetensors instead, or add the layer type to Sources/ZooCore/Export/ONNXLayers.swift")
        }
        return layer
    }

    /// A float32 tensor value with the given dimensions; nil is the dynamic batch dimension.
    private static func valueInfo(_ name: String, _ dimensions: [Int?]) -> ProtobufMessage {
        var shape = ProtobufMessage()
        for dimension in dimensions {
            var entry = ProtobufMessage()
            if let dimension { entry.int(1, Int64(dimension)) } else { entry.string(2, "batch") }
            shape.message(1, entry)
        }
        var tensorType = ProtobufMessage()
        tensorType.int(1, float32)
        tensorType.message(2, shape)
        var type = ProtobufMessage()
        type.message(1, tensorType)
        var info = ProtobufMessage()
        info.string(1, name)
        info.message(2, type)
        return info
    }
}
