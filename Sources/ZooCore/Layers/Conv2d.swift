import CDNNL

/// `conv2d`: a 2-D convolution (PyTorch `nn.Conv2d`), grouped (depthwise when `groups` equals the input channels) and dilated.
public final class Conv2d: Layer {
    public static let typeName = "conv2d"
    public static let int8Support = Int8Support.rescaling
    public static let argumentNames = ["out", "kernel", "stride", "padding", "dilation", "groups", "bias"]
    public static let primaryArgument: String? = "out"
    /// `padding: same` keeps the size at stride 1 (PyTorch's, which zoo pads symmetrically); `padding: valid` is 0.
    public static let paddingWords = ["same", "valid"]
    public static let computesInBFloat16 = true

    let outputChannels: Int
    let kernelSize: (height: Int, width: Int)
    let stride: (height: Int, width: Int)
    let padding: (height: Int, width: Int)
    let dilation: (height: Int, width: Int)
    let groups: Int
    let hasBias: Bool
    private let groupsLocation: SourceLocation?

    public init(arguments: LayerArguments) throws {
        outputChannels = try arguments.int("out")
        kernelSize = try arguments.pair("kernel")
        stride = try arguments.pair("stride", default: 1)
        dilation = try arguments.pair("dilation", default: 1)
        padding = try Self.padding(arguments, kernelSize: kernelSize, stride: stride, dilation: dilation)
        groups = try arguments.int("groups", default: 1)
        groupsLocation = arguments.location(of: "groups")
        hasBias = try arguments.bool("bias", default: true)
        guard outputChannels % groups == 0 else {
            throw ZooError("conv2d: `groups` (\(groups)) must divide the output channels (\(outputChannels))", at: groupsLocation,
                           hint: "PyTorch's nn.Conv2d needs both channel counts to be multiples of groups")
        }
    }

    /// A number, `[height, width]`, or `same` (half the dilated kernel's span, for stride 1 and an odd kernel) or `valid` (0).
    private static func padding(_ arguments: LayerArguments, kernelSize: (Int, Int), stride: (Int, Int),
                                dilation: (Int, Int)) throws -> (height: Int, width: Int) {
        guard let word = arguments.word("padding") else { return try arguments.pair("padding", default: 0, minimum: 0) }
        let place = arguments.location(of: "padding")
        switch word {
        case "valid": return (0, 0)
        case "same":
            guard stride == (1, 1) else {
                throw ZooError("conv2d: `padding: same` needs stride 1, as in PyTorch", at: place,
                               hint: "give the padding as a number, e.g. `padding: \((kernelSize.0 - 1) / 2)`")
            }
            let span = ((kernelSize.0 - 1) * dilation.0, (kernelSize.1 - 1) * dilation.1)
            guard span.0 % 2 == 0, span.1 % 2 == 0 else {
                throw ZooError("conv2d: `padding: same` needs an odd kernel here: an even one would pad one side more than the other", at: place,
                               hint: "use an odd kernel, or pad explicitly")
            }
            return (span.0 / 2, span.1 / 2)
        default:
            throw ZooError("conv2d: `padding` must be a whole number, [height, width], `same` or `valid`, not `\(word)`", at: place)
        }
    }

    public func build(input: Shape) throws -> LayerBuild {
        // A dilated kernel covers (kernel - 1) * dilation + 1 pixels.
        let span = ((kernelSize.height - 1) * dilation.height + 1, (kernelSize.width - 1) * dilation.width + 1)
        let output = try slidingWindowOutput(input: input, kernel: span, stride: stride, padding: padding,
                                             channels: outputChannels, what: "kernel")
        guard input.channels % groups == 0 else {
            throw ZooError("`groups` (\(groups)) must divide the input channels (\(input.channels))", at: groupsLocation,
                           hint: "a depthwise convolution has groups equal to its input channels")
        }
        let inputsPerGroup = input.channels / groups
        let fanIn = saturatingProduct([inputsPerGroup, kernelSize.height, kernelSize.width])
        var parameters = defaultWeights(shape: [outputChannels, inputsPerGroup, kernelSize.height, kernelSize.width],
                                            fanIn: fanIn, hasBias: hasBias)
        if groups > 1 {
            parameters[0].primitiveShape = [groups, outputChannels / groups, inputsPerGroup, kernelSize.height, kernelSize.width]
        }
        return LayerBuild(output: output, parameters: parameters, multiplyAccumulates: saturatingProduct([output.elementCount, fanIn]))
    }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let strides = [stride.height, stride.width].map { Int64($0) }
        let paddings = [padding.height, padding.width].map { Int64($0) }
        // oneDNN counts dilation from 0 (no gaps); PyTorch from 1.
        let dilations = [dilation.height - 1, dilation.width - 1].map { Int64($0) }
        return try builder.compileWeighted(.convolution(strides: strides, dilations: dilations, paddings: paddings), context, hasBias: hasBias)
    }
}

/// Output shape of a convolution or pooling window, PyTorch's floor((size + 2*padding - kernel) / stride) + 1,
/// with errors that show the arithmetic.
func slidingWindowOutput(input: Shape, kernel: (height: Int, width: Int), stride: (height: Int, width: Int),
                         padding: (height: Int, width: Int), channels: Int, what: String) throws -> Shape {
    guard input.isImage else {
        throw ZooError("needs an image input (channels x height x width), but its input is \(input.channels) flat features",
                       hint: "image layers must come before `flatten`")
    }
    let paddedHeight = input.height + 2 * padding.height
    let paddedWidth = input.width + 2 * padding.width
    guard kernel.height <= paddedHeight, kernel.width <= paddedWidth else {
        let paddingNote = padding == (0, 0) ? "" : " (\(paddedHeight)x\(paddedWidth) with padding \(padding.height == padding.width ? "\(padding.height)" : "[\(padding.height), \(padding.width)]"))"
        throw ZooError("a \(kernel.height)x\(kernel.width) \(what) does not fit its \(input.height)x\(input.width) input\(paddingNote)",
                       hint: "use a smaller \(what), add padding, or remove a pooling layer before it")
    }
    return Shape([channels,
                  (paddedHeight - kernel.height) / stride.height + 1,
                  (paddedWidth - kernel.width) / stride.width + 1])
}
