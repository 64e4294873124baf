import CDNNL

/// `maxpool2d` and `avgpool2d`: the settings of a `PoolingWindow` (`kernel` first, so `- maxpool2d: 2` works), the
/// input's int8 scale kept, bf16 where the plan computes in it.
public protocol WindowPooling: Layer {}

extension WindowPooling {
    public static var int8Support: Int8Support { .keepingScale }
    public static var computesInBFloat16: Bool { true }
    public static var argumentNames: [String] { PoolingWindow.argumentNames }
    public static var primaryArgument: String? { "kernel" }
}

/// Window settings shared by `maxpool2d` and `avgpool2d` (PyTorch semantics: stride defaults to the kernel, floor mode).
struct PoolingWindow {
    let kernelSize: (height: Int, width: Int)
    let stride: (height: Int, width: Int)
    let padding: (height: Int, width: Int)

    static let argumentNames = ["kernel", "stride", "padding"]

    init(_ arguments: LayerArguments) throws {
        kernelSize = try arguments.pair("kernel")
        stride = arguments.contains("stride") ? try arguments.pair("stride") : kernelSize
        padding = try arguments.pair("padding", default: 0, minimum: 0)
        // PyTorch refuses padding over half the kernel: a window could then hold only padding.
        guard padding.height * 2 <= kernelSize.height, padding.width * 2 <= kernelSize.width else {
            throw ZooError("\(arguments.layerType): `padding` may be at most half the kernel (\(kernelSize.height / 2)), not \(max(padding.height, padding.width))")
        }
    }

    init(kernelSize: (height: Int, width: Int)) {
        self.kernelSize = kernelSize
        stride = (1, 1)
        padding = (0, 0)
    }

    func output(for input: Shape) throws -> Shape {
        try slidingWindowOutput(input: input, kernel: kernelSize, stride: stride, padding: padding, channels: input.channels,
                                what: "pooling window")
    }
}

extension PlanBuilder {
    /// Pooling in the input's own layout, then the context's epilogue; max pooling keeps a workspace of argmax positions for backward.
    func compilePooling(_ context: LayerContext, window: PoolingWindow, algorithm: dnnl_alg_kind_t, name: String) throws -> Activation {
        let input = context.input
        let strides = [window.stride.height, window.stride.width].map { Int64($0) }
        let kernel = [window.kernelSize.height, window.kernelSize.width].map { Int64($0) }
        let paddings = [window.padding.height, window.padding.width].map { Int64($0) }
        let dilation: [Int64] = [0, 0]
        let outputDimensions = context.outputShape.withBatch(batchSize)

        var forwardOperation = dnnl_pooling_v2_desc_t()
        var source = input.descriptor.raw
        var destination = try MemoryDescriptor.any(outputDimensions, dataType: input.descriptor.dataType).raw
        try check(dnnl_pooling_v2_forward_desc_init(&forwardOperation, propagation, algorithm, &source, &destination,
                                                    strides, kernel, dilation, paddings, paddings), "dnnl_pooling_v2_forward_desc_init")
        let forwardDescriptor = try primitiveDescriptor(&forwardOperation, name: name)
        let output = try activation(context.outputShape, descriptor: forwardDescriptor.memoryDescriptor(dnnl_query_dst_md))
        var arguments: [(Int32, Memory)] = [(DNNL_ARG_SRC, input.value), (DNNL_ARG_DST, output.value)]
        let workspaceDescriptor = forwardDescriptor.memoryDescriptor(dnnl_query_workspace_md)
        let workspace = workspaceDescriptor.byteCount > 0 ? try memory(workspaceDescriptor) : nil
        if let workspace { arguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try forward(forwardDescriptor, name, arguments)
        try forwardEpilogue(context.epilogue, inPlace: output.value)

        guard let inputGradient = input.gradient, var outputGradient = output.gradient else { return output }
        if context.epilogue != .none {
            let masked = try memory(output.descriptor)
            try backwardEpilogue(context.epilogue, output: output.value, outputGradient: outputGradient, inputGradient: masked)
            outputGradient = masked
        }
        var backwardOperation = dnnl_pooling_v2_desc_t()
        var sourceGradient = input.descriptor.raw
        var destinationGradient = output.descriptor.raw
        try check(dnnl_pooling_v2_backward_desc_init(&backwardOperation, algorithm, &sourceGradient, &destinationGradient,
                                                     strides, kernel, dilation, paddings, paddings), "dnnl_pooling_v2_backward_desc_init")
        let backwardDescriptor = try primitiveDescriptor(&backwardOperation, hint: forwardDescriptor, name: "\(name) backward")
        var backwardArguments: [(Int32, Memory)] = [(DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_DIFF_SRC, inputGradient)]
        if let workspace { backwardArguments.append((DNNL_ARG_WORKSPACE, workspace)) }
        try backward(backwardDescriptor, "\(name) backward", backwardArguments)
        return output
    }
}
