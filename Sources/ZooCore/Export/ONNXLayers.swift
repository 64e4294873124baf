/// The ONNX operator for each zoo layer type, all in one place (docs/export.md lists the same table).
/// A new layer type gets one conformance here.

/// A conv or linear: one node reading input, weight and (when there is one) bias, float or dequantized int8.
public protocol ONNXWeightedLayer: ONNXExportable {
    func weightedNode(_ graph: inout ONNXGraph, _ inputs: [String], name: String) -> String
}

extension ONNXWeightedLayer {
    public func exportONNX(_ graph: inout ONNXGraph, inputs: [String], entry: Network.Entry) throws -> String {
        let hasBias = entry.parameters.contains { $0.name == "bias" }
        let weights = try [graph.initializer(entry, parameter: "weight")] + (hasBias ? [graph.initializer(entry, parameter: "bias")] : [])
        return weightedNode(&graph, [inputs[0]] + weights, name: entry.name)
    }
}

extension Conv2d: ONNXWeightedLayer {
    public func weightedNode(_ graph: inout ONNXGraph, _ inputs: [String], name: String) -> String {
        graph.node("Conv", inputs, attributes: [
            "kernel_shape": .ints([kernelSize.height, kernelSize.width]),
            "strides": .ints([stride.height, stride.width]),
            "pads": .ints([padding.height, padding.width, padding.height, padding.width]),
            "dilations": .ints([dilation.height, dilation.width]),
            "group": .int(groups),
        ], name: name)
    }
}

extension Linear: ONNXWeightedLayer {
    /// Gemm computes input x weight^T + bias, as `nn.Linear` does.
    public func weightedNode(_ graph: inout ONNXGraph, _ inputs: [String], name: String) -> String {
        graph.node("Gemm", inputs, attributes: ["transB": .int(1)], name: name)
    }
}

extension BatchNorm: ONNXExportable {
    /// Inference mode: the running statistics.
    public func exportONNX(_ graph: inout ONNXGraph, inputs: [String], entry: Network.Entry) throws -> String {
        let statistics = try ["weight", "bias", "running_mean", "running_var"].map { try graph.initializer(entry, parameter: $0) }
        return graph.node("BatchNormalization", [inputs[0]] + statistics, attributes: ["epsilon": .float(epsilon)], name: entry.name)
    }
}

/// A layer that is one ONNX operator on its input: its conformance names the operator and attributes.
public protocol ONNXOperatorLayer: ONNXExportable {
    var onnxOperator: String { get }
    var onnxAttributes: [String: ONNXGraph.Attribute] { get }
}

extension ONNXOperatorLayer {
    public var onnxAttributes: [String: ONNXGraph.Attribute] { [:] }

    public func exportONNX(_ graph: inout ONNXGraph, inputs: [String], entry: Network.Entry) throws -> String {
        graph.node(onnxOperator, inputs, attributes: onnxAttributes, name: entry.name)
    }
}

extension MaxPool2d: ONNXOperatorLayer {
    public var onnxOperator: String { "MaxPool" }
    public var onnxAttributes: [String: ONNXGraph.Attribute] { window.onnxAttributes }
}

extension AvgPool2d: ONNXOperatorLayer {
    public var onnxOperator: String { "AveragePool" }
    /// oneDNN's `avg_include_padding`, PyTorch's default `count_include_pad=True`.
    public var onnxAttributes: [String: ONNXGraph.Attribute] { window.onnxAttributes.merging(["count_include_pad": .int(1)]) { $1 } }
}

/// `add` of any number of inputs, and `concat` along channels (or features).
extension Add: ONNXOperatorLayer { public var onnxOperator: String { "Sum" } }

extension Concat: ONNXOperatorLayer {
    public var onnxOperator: String { "Concat" }
    public var onnxAttributes: [String: ONNXGraph.Attribute] { ["axis": .int(1)] }
}

extension GlobalAvgPool: ONNXOperatorLayer { public var onnxOperator: String { "GlobalAveragePool" } }
extension ReLU: ONNXOperatorLayer { public var onnxOperator: String { "Relu" } }
extension Sigmoid: ONNXOperatorLayer { public var onnxOperator: String { "Sigmoid" } }
extension Tanh: ONNXOperatorLayer { public var onnxOperator: String { "Tanh" } }

extension GELU: ONNXExportable {
    /// Opset 17 has no Gelu (it came in opset 20), so PyTorch's exact form: x * 0.5 * (1 + Erf(x / sqrt 2)).
    public func exportONNX(_ graph: inout ONNXGraph, inputs: [String], entry: Network.Entry) throws -> String {
        let scaled = graph.node("Mul", [inputs[0], graph.initializer("\(entry.name).inverse_sqrt2", [Float(0.5.squareRoot())], shape: [1])], name: entry.name)
        let error = graph.node("Erf", [scaled], name: entry.name)
        let onePlus = graph.node("Add", [error, graph.initializer("\(entry.name).one", [1], shape: [1])], name: entry.name)
        let halfInput = graph.node("Mul", [inputs[0], graph.initializer("\(entry.name).half", [0.5], shape: [1])], name: entry.name)
        return graph.node("Mul", [halfInput, onePlus], name: entry.name)
    }
}

extension SiLU: ONNXExportable {
    /// x * Sigmoid(x): opset 17 has no SiLU operator.
    public func exportONNX(_ graph: inout ONNXGraph, inputs: [String], entry: Network.Entry) throws -> String {
        graph.node("Mul", [inputs[0], graph.node("Sigmoid", inputs, name: entry.name)], name: entry.name)
    }
}

extension LeakyReLU: ONNXOperatorLayer {
    public var onnxOperator: String { "LeakyRelu" }
    public var onnxAttributes: [String: ONNXGraph.Attribute] { ["alpha": .float(slope)] }
}

extension Flatten: ONNXOperatorLayer {
    public var onnxOperator: String { "Flatten" }
    public var onnxAttributes: [String: ONNXGraph.Attribute] { ["axis": .int(1)] }
}

/// Softmax and log-softmax over dimension 1 (classes, or channels of an image), as zoo computes them.
extension Softmax: ONNXOperatorLayer {
    public var onnxOperator: String { "Softmax" }
    public var onnxAttributes: [String: ONNXGraph.Attribute] { ["axis": .int(1)] }
}

extension LogSoftmax: ONNXOperatorLayer {
    public var onnxOperator: String { "LogSoftmax" }
    public var onnxAttributes: [String: ONNXGraph.Attribute] { ["axis": .int(1)] }
}

extension Dropout: ONNXExportable {
    /// Inference mode: dropout passes its input through, so it adds no node.
    public func exportONNX(_ graph: inout ONNXGraph, inputs: [String], entry: Network.Entry) throws -> String { inputs[0] }
}

extension PoolingWindow {
    var onnxAttributes: [String: ONNXGraph.Attribute] {
        ["kernel_shape": .ints([kernelSize.height, kernelSize.width]),
         "strides": .ints([stride.height, stride.width]),
         "pads": .ints([padding.height, padding.width, padding.height, padding.width])]
    }
}

extension ONNXGraph {
    /// The entry's parameter as an initializer named like its `state_dict` key.
    mutating func initializer(_ entry: Network.Entry, parameter name: String) throws -> String {
        guard let parameter = entry.parameters.first(where: { $0.name == name }) else {
            throw ZooError("layer `\(entry.name)` has no parameter `\(name)`", hint: "this is a bug in zoo's ONNX export; please report it")
        }
        return initializer("\(entry.name).\(name)", try parameter.read(), shape: parameter.shape)
    }
}
