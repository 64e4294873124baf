import CDNNL

/// Max pooling in Swift, on the layout oneDNN chose for the input: plain nchw, or channels in blocks of
/// 8 or 16 (nChw8c on AVX2, nChw16c on AVX-512), vectorized over the block. Backward recomputes each window's
/// argmax from the input instead of keeping a workspace: oneDNN's training pooling with its workspace was
/// five times slower than its inference pooling on AVX2.
///
/// PyTorch's rule: a value takes over the running maximum if it is greater or NaN, so ties go to the first
/// maximum in the window (row-major), NaN propagates, and padding never wins.
struct MaxPoolingKernel {
    let window: PoolingWindow
    /// Lanes per position: 1 for nchw, 8 or 16 for blocked layouts.
    let channelBlock: Int
    let formatTag: dnnl_format_tag_t
    /// (batch x channel blocks): each plane is height x width x channelBlock floats, contiguous.
    let planes: Int
    let inputSize: (height: Int, width: Int)
    let outputSize: (height: Int, width: Int)

    /// Nil when the input's layout is none of those this kernel reads, or the window is huge; oneDNN's pooling takes those.
    init?(window: PoolingWindow, input: MemoryDescriptor, output: Shape) {
        let dimensions = input.dimensions
        guard dimensions.count == 4 else { return nil }
        let layouts: [(dnnl_format_tag_t, Int)] = [(dnnl_abcd, 1), (dnnl_aBcd8b, 8), (dnnl_aBcd16b, 16)]
        // Window positions are counted in floats, exact up to 2^24; larger windows go to oneDNN.
        let (positions, overflow) = window.kernelSize.height.multipliedReportingOverflow(by: window.kernelSize.width)
        guard let (tag, block) = layouts.first(where: { (try? MemoryDescriptor(dimensions: dimensions, tag: $0.0)) == input }),
              !overflow, positions <= 1 << 24 else {
            return nil
        }
        self.window = window
        channelBlock = block
        formatTag = tag
        planes = dimensions[0] * ((dimensions[1] + block - 1) / block)
        inputSize = (dimensions[2], dimensions[3])
        outputSize = (output.height, output.width)
    }

    /// The output's layout: the input's, with the output's sizes.
    func outputDescriptor(batchSize: Int, output: Shape) throws -> MemoryDescriptor {
        try MemoryDescriptor(dimensions: output.withBatch(batchSize), tag: formatTag)
    }

    /// With `appliesReLU`, the output is relu(max): the ReLU before the pooling, on pooled values.
    func forward(input: Memory, output: Memory, appliesReLU: Bool) {
        input.withFloats { source in
            output.withFloats { destination in
                run(source, destination, forwardReLU: appliesReLU, backward: nil)
            }
        }
    }

    /// Routes each output gradient to its window's first maximum. With `maskingReLU`, gradients whose
    /// maximum is not positive are dropped first: the backward of a ReLU before the pooling, on pooled values.
    func backward(input: Memory, outputGradient: Memory, inputGradient: Memory, maskingReLU: Bool) {
        input.withFloats { source in
            outputGradient.withFloats { gradient in
                inputGradient.withFloats { target in
                    run(source, target, forwardReLU: false, backward: (UnsafePointer(gradient.baseAddress!), maskingReLU))
                }
            }
        }
    }

    /// Plain nchw reads one float per position; blocked layouts 8 at a time, as `SIMD8<Float>` (concrete: Swift
    /// compiles SIMD operations on a generic `SIMD` type lane by lane), so a 16-channel block is two chunks.
    private func run(_ source: UnsafeMutableBufferPointer<Float>, _ destination: UnsafeMutableBufferPointer<Float>,
                     forwardReLU: Bool, backward: (gradient: UnsafePointer<Float>, maskingReLU: Bool)?) {
        if channelBlock == 1 {
            run(scalar: true, UnsafePointer(source.baseAddress!), destination.baseAddress!, forwardReLU: forwardReLU, backward: backward)
        } else {
            run(scalar: false, UnsafePointer(source.baseAddress!), destination.baseAddress!, forwardReLU: forwardReLU, backward: backward)
        }
    }

    /// Forward (`backward` nil: writes maxima into `destination`) or backward (writes input gradients).
    /// Planes are independent, so splitting them across threads cannot change a result.
    @inline(__always)
    private func run(scalar: Bool, _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                     forwardReLU: Bool, backward: (gradient: UnsafePointer<Float>, maskingReLU: Bool)?) {
        let block = channelBlock
        let inputPlane = inputSize.height * inputSize.width * block
        let outputPlane = outputSize.height * outputSize.width * block
        let (kernel, windowStride, padding) = (window.kernelSize, window.stride, window.padding)
        // Windows that never overlap let backward store each gradient instead of adding it; when they also
        // tile the input exactly (LeNet's 2x2 stride 2 on 24x24), no input position is left to clear first.
        let disjoint = windowStride.height >= kernel.height && windowStride.width >= kernel.width
        let tiles = disjoint && windowStride == kernel && padding == (0, 0)
            && inputSize.height == outputSize.height * windowStride.height && inputSize.width == outputSize.width * windowStride.width
        @inline(__always) func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
            scalar ? SIMD8(repeating: pointer.pointee) : UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
        }
        @inline(__always) func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
            if scalar { pointer.pointee = value[0] } else { UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self) }
        }
        for plane in 0..<planes {
            let input = source + plane * inputPlane
            // Forward writes this plane's maxima; backward its input gradients.
            let output = destination + plane * (backward == nil ? outputPlane : inputPlane)
            if backward != nil && !tiles { output.update(repeating: 0, count: inputPlane) }
            for outputRow in 0..<outputSize.height {
                let top = outputRow * windowStride.height - padding.height
                let rows = max(top, 0)..<min(top + kernel.height, inputSize.height)
                for outputColumn in 0..<outputSize.width {
                    let left = outputColumn * windowStride.width - padding.width
                    let columns = max(left, 0)..<min(left + kernel.width, inputSize.width)
                    for lane in stride(from: 0, to: block, by: 8) {
                        var maximum = SIMD8<Float>(repeating: -.infinity)
                        // Positions as floats: Swift vectorizes float comparisons here, not Int32 ones (init bounds the window).
                        var argmax = SIMD8<Float>(repeating: 0)
                        var position: Float = 0
                        for row in rows {
                            for column in columns {
                                let value = load(input + (row * inputSize.width + column) * block + lane)
                                let taken = value .> maximum .| value .!= value
                                maximum.replace(with: value, where: taken)
                                argmax.replace(with: SIMD8(repeating: position), where: taken)
                                position += 1
                            }
                        }
                        let outputOffset = (outputRow * outputSize.width + outputColumn) * block + lane
                        guard let backward else {
                            // `<=` is false for NaN, which stays NaN as through PyTorch's relu.
                            store(forwardReLU ? maximum.replacing(with: 0, where: maximum .<= 0) : maximum, output + outputOffset)
                            continue
                        }
                        var gradient = load(backward.gradient + plane * outputPlane + outputOffset)
                        if backward.maskingReLU { gradient.replace(with: 0, where: .!(maximum .> 0)) }
                        position = 0
                        for row in rows {
                            for column in columns {
                                let target = output + (row * inputSize.width + column) * block + lane
                                // Equality spelt as neither below nor above: `.==` stayed a lane-by-lane loop.
                                let routed = SIMD8<Float>(repeating: 0).replacing(with: gradient, where: .!(argmax .< position .| argmax .> position))
                                store(disjoint ? routed : load(target) + routed, target)
                                position += 1
                            }
                        }
                    }
                }
            }
        }
    }
}

extension PlanBuilder {
    /// Max pooling as Swift steps: the output takes the input's layout, backward needs no workspace.
    func compileMaxPooling(_ kernel: MaxPoolingKernel, _ context: LayerContext) throws -> Activation {
        let input = context.input
        let output = try activation(context.outputShape, descriptor: kernel.outputDescriptor(batchSize: batchSize, output: context.outputShape))
        // The Swift kernel runs the ReLU epilogue itself, on the pooled values.
        let appliesReLU = switch context.epilogue {
        case .none: false
        case .relu: true
        }
        forward { kernel.forward(input: input.value, output: output.value, appliesReLU: appliesReLU) }
        guard let inputGradient = input.gradient, let outputGradient = output.gradient else { return output }
        backward { kernel.backward(input: input.value, outputGradient: outputGradient, inputGradient: inputGradient, maskingReLU: appliesReLU) }
        return output
    }
}
