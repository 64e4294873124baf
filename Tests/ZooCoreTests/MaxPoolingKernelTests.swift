import CDNNL
import XCTest
@testable import ZooCore

/// The Swift max pooling: PyTorch's tie and NaN rules, and the same bits in every layout it reads.
final class MaxPoolingKernelTests: XCTestCase {
    /// Hand-checked against `torch.nn.functional.max_pool2d(x, 2)` and its backward: a tie goes to the
    /// first maximum, NaN wins and its gradient goes to the last NaN, an all -inf window to its first position.
    func testTiesNaNAndInfinityFollowPyTorch() throws {
        let network = try Network(layers: [.init(type: "maxpool2d", arguments: ["kernel": .init(.int(2))])], inputShape: Shape([1, 2, 6]), seed: 1)
        let plan = try network.plan(batchSize: 1, training: true, inputGradient: true)
        plan.setInput([1, 1, .nan, 2, -.infinity, -.infinity,
                       0, 1, .nan, 3, -.infinity, -.infinity])
        try plan.forward()
        let output = plan.outputValues
        XCTAssertEqual(output.count, 3)
        XCTAssertEqual(output[0], 1)
        XCTAssertTrue(output[1].isNaN, "\(output)")
        XCTAssertEqual(output[2], -.infinity)
        try plan.setOutputGradient([5, 7, 11])
        try plan.backward()
        XCTAssertEqual(try plan.inputGradientValues, [5, 0, 0, 0, 11, 0,
                                                      0, 0, 7, 0, 0, 0])
    }

    /// Overlapping, padded windows with ties and NaN: blocked layouts (8 and 16 channels, 6 of them real)
    /// give bit for bit the plain layout's output and input gradient, with and without the ReLU before the
    /// pooling (applied to the pooled values, and as the gradient's mask); with it the output is relu(max), NaN kept.
    /// Planes split in 3 parts on all cores give the same bits as one part.
    func testBlockedLayoutsMatchPlainBitForBit() throws {
        try checkLayouts(arguments: ["kernel": .init(.int(3)), "stride": .init(.int(2)), "padding": .init(.int(1))], size: 7)
    }

    /// 2x2 windows that tile the input run unrolled: every layout against the same reference loop.
    func testTilingTwoByTwoWindowsMatchTheReference() throws {
        try checkLayouts(arguments: ["kernel": .init(.int(2))], size: 8)
    }

    private func checkLayouts(arguments: [String: LayerArgument], size: Int) throws {
        let layer = try LayerRegistry.makeLayer(.init(type: "maxpool2d", arguments: arguments))
        let window = try XCTUnwrap(layer as? MaxPool2d).window
        let (batch, channels) = (3, 6)
        let input = Shape([channels, size, size])
        let output = try window.output(for: input)
        var random = SeededRandom(seed: 3)
        // Few distinct values, so windows hold ties; some NaN; negatives for the ReLU mask.
        var values = random.uniform(1, count: batch * input.elementCount).map { ($0 * 3).rounded() }
        for index in stride(from: 5, to: values.count, by: 37) { values[index] = .nan }
        let gradients = random.uniform(1, count: batch * output.elementCount)

        let device = try Device()
        func run(tag: dnnl_format_tag_t, block: Int, appliesReLU: Bool, parts: Int = 1) throws -> (output: [UInt32], inputGradient: [UInt32]) {
            let inputDescriptor = try MemoryDescriptor(dimensions: input.withBatch(batch), tag: tag)
            let kernel = try XCTUnwrap(MaxPoolingKernel(window: window, input: inputDescriptor, output: output, parts: parts))
            XCTAssertEqual(kernel.channelBlock, block)
            let outputDescriptor = try kernel.outputDescriptor(batchSize: batch, output: output)
            let (source, destination) = (try Memory(inputDescriptor, device: device), try Memory(outputDescriptor, device: device))
            let (sourceGradient, destinationGradient) = (try Memory(inputDescriptor, device: device), try Memory(outputDescriptor, device: device))
            scatter(values, into: source, shape: input, batch: batch, block: block)
            scatter(gradients, into: destinationGradient, shape: output, batch: batch, block: block)
            kernel.forward(input: source, output: destination, appliesReLU: appliesReLU)
            kernel.backward(input: source, outputGradient: destinationGradient, inputGradient: sourceGradient, maskingReLU: appliesReLU)
            return (gather(destination, shape: output, batch: batch, block: block).map(\.bitPattern),
                    gather(sourceGradient, shape: input, batch: batch, block: block).map(\.bitPattern))
        }
        let withoutReLU = try run(tag: dnnl_abcd, block: 1, appliesReLU: false).output.map { Float(bitPattern: $0) }
        let relu = withoutReLU.map { $0.isNaN ? $0 : max($0, 0) }
        XCTAssertTrue(withoutReLU.contains { $0 < 0 }, "the case must hold a window of negatives")
        XCTAssertEqual(try run(tag: dnnl_abcd, block: 1, appliesReLU: true).output, relu.map(\.bitPattern))
        for appliesReLU in [false, true] {
            let plain = try run(tag: dnnl_abcd, block: 1, appliesReLU: appliesReLU)
            let expected = reference(values, gradients, window: window, input: input, output: output, batch: batch, relu: appliesReLU)
            XCTAssertEqual(plain.output, expected.output.map(\.bitPattern), "ReLU \(appliesReLU)")
            XCTAssertEqual(plain.inputGradient, expected.inputGradient.map(\.bitPattern), "ReLU \(appliesReLU)")
            XCTAssertTrue(plain.output.contains { Float(bitPattern: $0).isNaN }, "the case must hold a NaN window")
            XCTAssertTrue(plain.inputGradient.contains { $0 != 0 }, "the case must route some gradient")
            for (tag, block) in [(dnnl_abcd, 1), (dnnl_aBcd8b, 8), (dnnl_aBcd16b, 16)] {
                for parts in block == 1 ? [3] : [1, 3] {
                    let other = try run(tag: tag, block: block, appliesReLU: appliesReLU, parts: parts)
                    XCTAssertEqual(other.output, plain.output, "block \(block), parts \(parts), ReLU \(appliesReLU)")
                    XCTAssertEqual(other.inputGradient, plain.inputGradient, "block \(block), parts \(parts), ReLU \(appliesReLU)")
                }
            }
        }
    }

    /// PyTorch's max pooling written out plainly: a value takes over if greater or NaN, the gradient goes to
    /// the position that took last; with `relu`, the output is relu(max) and the gradient is dropped where it is not positive.
    private func reference(_ values: [Float], _ gradients: [Float], window: PoolingWindow, input: Shape, output: Shape, batch: Int,
                           relu: Bool) -> (output: [Float], inputGradient: [Float]) {
        var maxima = [Float](repeating: 0, count: batch * output.elementCount)
        var inputGradient = [Float](repeating: 0, count: batch * input.elementCount)
        var index = 0
        for n in 0..<batch { for c in 0..<input.channels { for h in 0..<output.height { for w in 0..<output.width {
            var (maximum, argmax) = (-Float.infinity, -1)
            for row in 0..<window.kernelSize.height { for column in 0..<window.kernelSize.width {
                let (y, x) = (h * window.stride.height - window.padding.height + row, w * window.stride.width - window.padding.width + column)
                guard (0..<input.height).contains(y), (0..<input.width).contains(x) else { continue }
                let position = ((n * input.channels + c) * input.height + y) * input.width + x
                if argmax < 0 { argmax = position }
                if values[position] > maximum || values[position].isNaN { (maximum, argmax) = (values[position], position) }
            } }
            maxima[index] = relu && maximum <= 0 ? 0 : maximum
            if !relu || maximum > 0 { inputGradient[argmax] += gradients[index] }
            index += 1
        } } } }
        return (maxima, inputGradient)
    }

    /// Offset of (n, c, h, w) with channels in blocks of `block` (1: plain nchw).
    private func offset(_ n: Int, _ c: Int, _ h: Int, _ w: Int, shape: Shape, block: Int) -> Int {
        let blocks = (shape.channels + block - 1) / block
        return (((n * blocks + c / block) * shape.height + h) * shape.width + w) * block + c % block
    }

    private func scatter(_ values: [Float], into memory: Memory, shape: Shape, batch: Int, block: Int) {
        memory.withFloats { buffer in
            var index = 0
            for n in 0..<batch { for c in 0..<shape.channels { for h in 0..<shape.height { for w in 0..<shape.width {
                buffer[offset(n, c, h, w, shape: shape, block: block)] = values[index]
                index += 1
            } } } }
        }
    }

    private func gather(_ memory: Memory, shape: Shape, batch: Int, block: Int) -> [Float] {
        memory.withFloats { buffer in
            var values: [Float] = []
            for n in 0..<batch { for c in 0..<shape.channels { for h in 0..<shape.height { for w in 0..<shape.width {
                values.append(buffer[offset(n, c, h, w, shape: shape, block: block)])
            } } } }
            return values
        }
    }
}
