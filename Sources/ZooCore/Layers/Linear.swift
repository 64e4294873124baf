import CDNNL

/// `linear`: a fully connected layer (PyTorch `nn.Linear`); its input size is inferred.
public final class Linear: Layer {
    public static let typeName = "linear"
    public static let int8Support = Int8Support.rescaling
    public static let argumentNames = ["out", "bias"]
    public static let primaryArgument: String? = "out"
    public static let computesInBFloat16 = true

    let outputFeatures: Int
    let hasBias: Bool

    public init(arguments: LayerArguments) throws {
        outputFeatures = try arguments.int("out")
        hasBias = try arguments.bool("bias", default: true)
    }

    public func build(input: Shape) throws -> LayerBuild {
        guard input.isFlat else {
            throw ZooError("needs flat features, but its input is the image \(input)",
                           hint: "add `- flatten` before it (it would then take \(input.elementCount) features)")
        }
        return LayerBuild(
            output: Shape([outputFeatures]),
            parameters: defaultWeights(shape: [outputFeatures, input.channels], fanIn: input.channels, hasBias: hasBias),
            multiplyAccumulates: saturatingProduct([outputFeatures, input.channels]))
    }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileWeighted(.innerProduct, context, hasBias: hasBias)
    }
}
