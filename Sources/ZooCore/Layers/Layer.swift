/// A layer type: parsed from a YAML entry, shape-checked once, compiled into oneDNN primitives per plan.
/// Adding a layer type is one file with a class conforming to this, plus one line in `LayerRegistry`.
public protocol Layer: AnyObject, SendableMetatype {
    /// The name used in YAML, e.g. "conv2d".
    static var typeName: String { get }
    /// Other accepted spellings, such as PyTorch's `batchnorm2d`; the architecture records `typeName`.
    static var aliases: [String] { get }
    /// Every key the YAML entry may have, for validation and "did you mean" hints.
    static var argumentNames: [String] { get }
    /// The key a bare value sets: `- linear: 120` means `{out: 120}`.
    static var primaryArgument: String? { get }
    /// Whether the layer joins several inputs (`add`, `concat`); every other layer takes exactly one.
    static var joinsInputs: Bool { get }
    /// Whether `compile` takes bf16 inputs in a bf16 plan (oneDNN has bf16 kernels for it); other layers get float32.
    static var computesInBFloat16: Bool { get }
    /// How the layer runs in an int8 plan; see `Int8Support`.
    static var int8Support: Int8Support { get }

    init(arguments: LayerArguments) throws

    /// Shape inference for one input shape: the output shape and the parameters to create (shapes and how to
    /// initialise them, no values). Errors explain the arithmetic.
    func build(input: Shape) throws -> LayerBuild
    /// The same for a layer that joins several inputs; the default hands a single-input layer its one shape.
    func build(inputs: [Shape]) throws -> LayerBuild

    /// Adds this layer's forward and backward steps to a plan and returns its output.
    func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation
}

extension Layer {
    public static var joinsInputs: Bool { false }
    public static var computesInBFloat16: Bool { false }
    public static var int8Support: Int8Support { .float }
    public func build(inputs: [Shape]) throws -> LayerBuild { try build(input: inputs[0]) }
    public static var primaryArgument: String? { nil }
    public static var argumentNames: [String] { [] }
    public static var aliases: [String] { [] }
}

/// How a layer runs in an int8 plan (`zoo quantize`).
public enum Int8Support: Sendable {
    /// In float32: int8 inputs are converted back first.
    case float
    /// On int8 values as they are, whose scale the output keeps (pooling, flatten, dropout).
    case keepingScale
    /// int8 in, int8 out at the output's own calibrated scale (convolution, inner product, add).
    case rescaling
}

/// The result of shape inference for one layer.
public struct LayerBuild {
    public var output: Shape
    public var parameters: [ParameterSpec]
    /// Multiply-accumulates per sample, as torchinfo and fvcore count them.
    public var multiplyAccumulates: Int

    public init(output: Shape, parameters: [ParameterSpec] = [], multiplyAccumulates: Int = 0) {
        self.output = output
        self.parameters = parameters
        self.multiplyAccumulates = multiplyAccumulates
    }
}

public struct LayerArgument: Sendable, Equatable {
    public var value: ArgumentValue
    public var location: SourceLocation?

    public init(_ value: ArgumentValue, at location: SourceLocation? = nil) {
        self.value = value
        self.location = location
    }
}

/// One entry of an architecture's layer list, as the config layer hands it to the engine.
public struct LayerDescription: Sendable, Equatable {
    public var type: String
    public var name: String?
    public var arguments: [String: LayerArgument]
    /// The layers whose outputs this one reads (`from:`); empty means the layer just before.
    public var inputs: [LayerInput]
    public var location: SourceLocation?

    public init(type: String, name: String? = nil, arguments: [String: LayerArgument] = [:], inputs: [LayerInput] = [],
                location: SourceLocation? = nil) {
        self.type = type
        self.name = name
        self.arguments = arguments
        self.inputs = inputs
        self.location = location
    }
}

/// One entry of a `from:` list: an earlier layer's full name, or an offset back (`-1` is the layer just before).
public struct LayerInput: Sendable, Equatable {
    public enum Reference: Sendable, Equatable {
        case name(String)
        case offset(Int)
    }
    public var reference: Reference
    public var location: SourceLocation?

    public init(_ reference: Reference, at location: SourceLocation? = nil) {
        self.reference = reference
        self.location = location
    }
}
