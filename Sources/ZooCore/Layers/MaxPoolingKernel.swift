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

    /// Nil when the input's layout is none of those this kernel reads; oneDNN's pooling takes those.
    init?(window: PoolingWindow, input: MemoryDescriptor, output: Shape) {
        let dimensions = input.dimensions
        guard dimensions.count == 4 else { return nil }
        let layouts: [(dnnl_format_tag_t, Int)] = [(dnnl_abcd, 1), (dnnl_aBcd8b, 8), (dnnl_aBcd16b, 16)]
        guard let (tag, block) = layouts.first(where: { (try? MemoryDescriptor(dimensions: dimensions, tag: $0.0)) == input }) else {
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

    func forward(input: Memory, output: Memory) {
        input.withFloats { source in
            output.withFloats { destination in
                run(source, destination, backward: nil)
            }
        }
    }

    /// Routes each output gradient to its window's first maximum. With `maskingReLU`, gradients whose
    /// maximum is not positive are dropped first: the backward of a ReLU before the pooling, on pooled values.
    func backward(input: Memory, outputGradient: Memory, inputGradient: Memory, maskingReLU: Bool) {
        input.withFloats { source in
            outputGradient.withFloats { gradient in
                inputGradient.withFloats { target in
                    run(source, target, backward: (UnsafePointer(gradient.baseAddress!), maskingReLU))
                }
            }
        }
    }

    /// The block size as a constant in each copy, so the compiler vectorizes the lane loops.
    private func run(_ source: UnsafeMutableBufferPointer<Float>, _ destination: UnsafeMutableBufferPointer<Float>,
                     backward: (gradient: UnsafePointer<Float>, maskingReLU: Bool)?) {
        switch channelBlock {
        case 8: run(block: 8, UnsafePointer(source.baseAddress!), destination.baseAddress!, backward: backward)
        case 16: run(block: 16, UnsafePointer(source.baseAddress!), destination.baseAddress!, backward: backward)
        default: run(block: 1, UnsafePointer(source.baseAddress!), destination.baseAddress!, backward: backward)
        }
    }

    /// Forward (`backward` nil: writes maxima into `destination`) or backward (writes input gradients).
    /// Planes are independent, so splitting them across threads cannot change a result.
    @inline(__always)
    private func run(block: Int, _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                     backward: (gradient: UnsafePointer<Float>, maskingReLU: Bool)?) {
        let inputPlane = inputSize.height * inputSize.width * block
        let outputPlane = outputSize.height * outputSize.width * block
        let (kernel, stride, padding) = (window.kernelSize, window.stride, window.padding)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * block) { lanes in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: block) { argmax in
                let maximum = lanes.baseAddress!
                let gradient = maximum + block
                let argmax = argmax.baseAddress!
                for plane in 0..<planes {
                    let input = source + plane * inputPlane
                    // Forward writes this plane's maxima; backward its input gradients, from zero.
                    let output = destination + plane * (backward == nil ? outputPlane : inputPlane)
                    if backward != nil { output.update(repeating: 0, count: inputPlane) }
                    for outputRow in 0..<outputSize.height {
                        let top = outputRow * stride.height - padding.height
                        let rows = max(top, 0)..<min(top + kernel.height, inputSize.height)
                        for outputColumn in 0..<outputSize.width {
                            let left = outputColumn * stride.width - padding.width
                            let columns = max(left, 0)..<min(left + kernel.width, inputSize.width)
                            for lane in 0..<block {
                                maximum[lane] = -.infinity
                                argmax[lane] = 0
                            }
                            var position: Int32 = 0
                            for row in rows {
                                for column in columns {
                                    let values = input + (row * inputSize.width + column) * block
                                    for lane in 0..<block {
                                        let value = values[lane]
                                        let taken = value > maximum[lane] || value.isNaN
                                        maximum[lane] = taken ? value : maximum[lane]
                                        argmax[lane] = taken ? position : argmax[lane]
                                    }
                                    position += 1
                                }
                            }
                            let outputOffset = (outputRow * outputSize.width + outputColumn) * block
                            guard let backward else {
                                output.advanced(by: outputOffset).update(from: maximum, count: block)
                                continue
                            }
                            let incoming = backward.gradient + plane * outputPlane + outputOffset
                            for lane in 0..<block {
                                gradient[lane] = backward.maskingReLU && !(maximum[lane] > 0) ? 0 : incoming[lane]
                            }
                            position = 0
                            for row in rows {
                                for column in columns {
                                    let target = output + (row * inputSize.width + column) * block
                                    for lane in 0..<block {
                                        target[lane] += argmax[lane] == position ? gradient[lane] : 0
                                    }
                                    position += 1
                                }
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
        forward { kernel.forward(input: input.value, output: output.value) }
        guard let inputGradient = input.gradient, let outputGradient = output.gradient else { return output }
        let maskingReLU = context.appliesReLUBackward
        backward { kernel.backward(input: input.value, outputGradient: outputGradient, inputGradient: inputGradient, maskingReLU: maskingReLU) }
        return output
    }
}
