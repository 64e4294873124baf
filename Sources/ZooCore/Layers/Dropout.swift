/// `dropout` (PyTorch `nn.Dropout`): zeroes each value with probability `p` and scales the rest by 1/(1-p)
/// while training; the identity at inference. The mask is a pure function of the seed, the layer and the step.
public final class Dropout: Layer {
    public static let typeName = "dropout"
    public static let int8Support = Int8Support.keepingScale
    public static let argumentNames = ["p"]
    public static let primaryArgument: String? = "p"
    let probability: Float

    public init(arguments: LayerArguments) throws {
        probability = Float(try arguments.double("p", default: 0.5, in: 0...1))
    }

    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let input = context.input
        guard builder.training, probability > 0 else { return input }
        let output = try builder.activation(context.outputShape, descriptor: input.descriptor)
        let mask = try builder.memory(input.descriptor)
        // Keep a value when 16 random bits fall below this: four decisions per 64-bit draw.
        let threshold = UInt64((Double(1 - probability) * 65536).rounded())
        let scale = probability < 1 ? 1 / (1 - probability) : 0
        let (seed, counter, layer) = (builder.randomSeed, builder.stepCounter, UInt64(context.index))
        builder.forward {
            mask.withFloats { mask in
                input.value.withFloats { source in
                    output.value.withFloats { destination in
                        forEachChunk(of: mask.count) { chunk, range in
                            var random = SeededRandom(seed: seed, streams: layer, counter.step, UInt64(chunk))
                            var bits: UInt64 = 0
                            for (offset, index) in range.enumerated() {
                                if offset % 4 == 0 { bits = random.next() }
                                mask[index] = bits & 0xFFFF < threshold ? scale : 0
                                bits >>= 16
                                destination[index] = source[index] * mask[index]
                            }
                        }
                    }
                }
            }
        }
        if let outputGradient = output.gradient, let inputGradient = input.gradient {
            builder.backward {
                mask.withFloats { mask in
                    outputGradient.withFloats { upstream in
                        inputGradient.withFloats { gradient in
                            forEachChunk(of: mask.count) { _, range in
                                for index in range { gradient[index] = upstream[index] * mask[index] }
                            }
                        }
                    }
                }
            }
        }
        return output
    }
}
