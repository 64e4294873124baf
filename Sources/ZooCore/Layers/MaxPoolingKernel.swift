import CDNNL

/// Max pooling in Swift, on the layout oneDNN chose for the input: plain nchw, or channels in blocks of
/// 8 or 16 (nChw8c on AVX2, nChw16c on AVX-512), vectorized over the block. Backward recomputes each window's
/// argmax from the input instead of keeping a workspace: oneDNN's training pooling with its workspace was
/// five times slower than its inference pooling on AVX2.
///
/// PyTorch's rule: a value takes over the running maximum if it is greater or NaN, so ties go to the first
/// maximum in the window (row-major), NaN propagates, and padding never wins.
///
/// The planes are split in `parts` ranges run on oneDNN's OpenMP threads (`forEachChunk`): a plan built for all
/// threads would otherwise leave one core spinning through every pooling (a tenth of a `cnn3-bn-fc` training step).
struct MaxPoolingKernel {
    let window: PoolingWindow
    /// Lanes per position: 1 for nchw, 8 or 16 for blocked layouts.
    let channelBlock: Int
    let formatTag: dnnl_format_tag_t
    /// (batch x channel blocks): each plane is height x width x channelBlock floats, contiguous.
    let planes: Int
    let inputSize: (height: Int, width: Int)
    let outputSize: (height: Int, width: Int)
    let parts: Int

    /// `parts`: oneDNN's thread count where the plan is built (1 in a single-threaded replica).
    /// Nil when the input's layout is none of those this kernel reads, or the window is huge; oneDNN's pooling takes those.
    init?(window: PoolingWindow, input: MemoryDescriptor, output: Shape, parts: Int) {
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
        self.parts = max(parts, 1)
    }

    /// The output's layout: the input's, with the output's sizes.
    func outputDescriptor(batchSize: Int, output: Shape) throws -> MemoryDescriptor {
        try MemoryDescriptor(dimensions: output.withBatch(batchSize), tag: formatTag)
    }

    /// With `appliesReLU`, the output is relu(max): the ReLU before the pooling, on pooled values.
    func forward(input: Memory, output: Memory, appliesReLU: Bool) {
        input.withFloats { source in
            output.withFloats { destination in
                let (source, destination) = (UnsafePointer(source.baseAddress!), destination.baseAddress!)
                forEachPart { planes in
                    // A literal `scalar` gives each layout its own inlined loop.
                    if channelBlock == 1 {
                        forward(scalar: true, source, destination, planes: planes, appliesReLU: appliesReLU)
                    } else {
                        forward(scalar: false, source, destination, planes: planes, appliesReLU: appliesReLU)
                    }
                }
            }
        }
    }

    /// Routes each output gradient to its window's first maximum. With `maskingReLU`, gradients whose
    /// maximum is not positive are dropped first: the backward of a ReLU before the pooling, on pooled values.
    func backward(input: Memory, outputGradient: Memory, inputGradient: Memory, maskingReLU: Bool) {
        input.withFloats { source in
            outputGradient.withFloats { gradient in
                inputGradient.withFloats { target in
                    let (source, gradient, target) = (UnsafePointer(source.baseAddress!), UnsafePointer(gradient.baseAddress!), target.baseAddress!)
                    forEachPart { planes in
                        if channelBlock == 1 {
                            backward(scalar: true, source, gradient, target, planes: planes, maskingReLU: maskingReLU)
                        } else {
                            backward(scalar: false, source, gradient, target, planes: planes, maskingReLU: maskingReLU)
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private func forward(scalar: Bool, _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, planes: Range<Int>,
                         appliesReLU: Bool) {
        forEachWindow(planes) { plane, windowOffsets, outputOffset in
            let input = source + plane &* inputPlane
            for lane in stride(from: 0, to: channelBlock, by: 8) {
                var maximum = RunningMaximum()
                windowOffsets { offset, position in maximum.take(load(scalar, input + (offset &+ lane)), at: position) }
                // `<=` is false for NaN, which stays NaN as through PyTorch's relu.
                let value = appliesReLU ? maximum.value.replacing(with: 0, where: maximum.value .<= 0) : maximum.value
                store(scalar, value, destination + (plane &* outputPlane &+ outputOffset &+ lane))
            }
        }
    }

    @inline(__always)
    private func backward(scalar: Bool, _ source: UnsafePointer<Float>, _ outputGradient: UnsafePointer<Float>,
                          _ inputGradient: UnsafeMutablePointer<Float>, planes: Range<Int>, maskingReLU: Bool) {
        // Windows that never overlap let backward store each gradient instead of adding it; when they also
        // tile the input (LeNet's 2x2 stride 2 on 24x24), no input position is left to clear first.
        let disjoint = window.stride.height >= window.kernelSize.height && window.stride.width >= window.kernelSize.width
        if !tiles { (inputGradient + planes.lowerBound &* inputPlane).update(repeating: 0, count: planes.count &* inputPlane) }
        forEachWindow(planes) { plane, windowOffsets, outputOffset in
            let (input, target) = (source + plane &* inputPlane, inputGradient + plane &* inputPlane)
            for lane in stride(from: 0, to: channelBlock, by: 8) {
                var maximum = RunningMaximum()
                windowOffsets { offset, position in maximum.take(load(scalar, input + (offset &+ lane)), at: position) }
                var gradient = load(scalar, outputGradient + (plane &* outputPlane &+ outputOffset &+ lane))
                if maskingReLU { gradient.replace(with: 0, where: .!(maximum.value .> 0)) }
                windowOffsets { offset, position in
                    let pointer = target + (offset &+ lane)
                    let routed = maximum.gradient(gradient, at: position)
                    store(scalar, disjoint ? routed : load(scalar, pointer) + routed, pointer)
                }
            }
        }
    }

    /// Calls `body` with contiguous ranges of planes, `parts` of them at once.
    private func forEachPart(_ body: (Range<Int>) -> Void) {
        forEachChunk(of: planes, chunkSize: max((planes + parts - 1) / parts, 1)) { _, range in body(range) }
    }

    /// Calls `body` for each output position of `planes` with its plane, a function that visits the window's input offsets
    /// (within the plane, in row-major order, with their position numbers) and the output offset. 2x2 windows
    /// with stride 2 that tile the input (most course nets' pooling) are visited unrolled.
    @inline(__always)
    private func forEachWindow(_ planes: Range<Int>, _ body: (Int, (_ visit: (Int, Float) -> Void) -> Void, Int) -> Void) {
        let block = channelBlock
        let (kernel, windowStride, padding) = (window.kernelSize, window.stride, window.padding)
        let rowLength = inputSize.width &* block
        let twoByTwo = tiles && kernel == (2, 2)
        for plane in planes {
            for outputRow in 0..<outputSize.height {
                let top = outputRow &* windowStride.height &- padding.height
                let rows = max(top, 0)..<min(top &+ kernel.height, inputSize.height)
                for outputColumn in 0..<outputSize.width {
                    let outputOffset = (outputRow &* outputSize.width &+ outputColumn) &* block
                    let left = outputColumn &* windowStride.width &- padding.width
                    if twoByTwo {
                        let topLeft = top &* rowLength &+ left &* block
                        body(plane, { visit in
                            visit(topLeft, 0)
                            visit(topLeft &+ block, 1)
                            visit(topLeft &+ rowLength, 2)
                            visit(topLeft &+ rowLength &+ block, 3)
                        }, outputOffset)
                        continue
                    }
                    let columns = max(left, 0)..<min(left &+ kernel.width, inputSize.width)
                    body(plane, { visit in
                        // Positions as floats: Swift vectorizes float comparisons, not Int32 ones (init bounds the window).
                        var position: Float = 0
                        for row in rows {
                            for column in columns {
                                visit(row &* rowLength &+ column &* block, position)
                                position += 1
                            }
                        }
                    }, outputOffset)
                }
            }
        }
    }

    private var inputPlane: Int { inputSize.height &* inputSize.width &* channelBlock }
    private var outputPlane: Int { outputSize.height &* outputSize.width &* channelBlock }

    /// Windows of the stride's size with no padding that cover the input exactly.
    private var tiles: Bool {
        window.stride == window.kernelSize && window.padding == (0, 0)
            && inputSize.height == outputSize.height &* window.stride.height && inputSize.width == outputSize.width &* window.stride.width
    }

    /// Plain nchw reads one float per position; blocked layouts 8 at a time, as `SIMD8<Float>` (concrete: Swift
    /// compiles SIMD operations on a generic `SIMD` type lane by lane), so a 16-channel block is two chunks.
    @inline(__always) private func load(_ scalar: Bool, _ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        scalar ? SIMD8(repeating: pointer.pointee) : UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always) private func store(_ scalar: Bool, _ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        if scalar { pointer.pointee = value[0] } else { UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self) }
    }
}

/// The maximum of a window so far and where it was, per lane, by PyTorch's rule: a value takes over if it is
/// greater or NaN.
private struct RunningMaximum {
    var value = SIMD8<Float>(repeating: -.infinity)
    var position = SIMD8<Float>(repeating: 0)

    @inline(__always) mutating func take(_ candidate: SIMD8<Float>, at index: Float) {
        let taken = candidate .> value .| candidate .!= candidate
        value.replace(with: candidate, where: taken)
        position.replace(with: SIMD8(repeating: index), where: taken)
    }

    /// `gradient` in the lanes whose maximum is at `index`, else 0. Equality spelt as neither below nor above:
    /// `.==` stayed a lane-by-lane loop.
    @inline(__always) func gradient(_ gradient: SIMD8<Float>, at index: Float) -> SIMD8<Float> {
        SIMD8(repeating: 0).replacing(with: gradient, where: .!(position .< index .| position .> index))
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
