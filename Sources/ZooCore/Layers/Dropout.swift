/// `dropout` (PyTorch `nn.Dropout`): zeroes each value with probability `p` and scales the rest by 1/(1-p)
/// while training; the identity at inference. The mask is a pure function of the seed, the layer and the step.
public final class Dropout: Layer {
    public static let typeName = "dropout"
    public static let argumentNames = ["p"]
    public static let primaryArgument: String? = "p"
    let probability: Float

    public init(arguments: LayerArguments) throws {
        probability = Float(try arguments.double("p", default: 0.5, in: 0...1))
    }

    public func build(input: Shape, random: inout SeededRandom) throws -> LayerBuild { sameShape(input) }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let input = context.input
        guard builder.training, probability > 0 else { return input }
        let output = try builder.activation(context.outputShape, descriptor: input.descriptor)
        let mask = try builder.memory(input.descriptor)
        let keep = 1 - probability
        let scale = probability < 1 ? 1 / keep : 0
        let (seed, counter, layer) = (builder.randomSeed, builder.stepCounter, UInt64(context.index))
        builder.forward {
            var random = SeededRandom(seed: seed, streams: layer, counter.step)
            mask.withFloats { mask in
                input.value.withFloats { source in
                    output.value.withFloats { destination in
                        for index in mask.indices {
                            mask[index] = random.nextUnitFloat() < keep ? scale : 0
                            destination[index] = source[index] * mask[index]
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
                            for index in mask.indices { gradient[index] = upstream[index] * mask[index] }
                        }
                    }
                }
            }
        }
        return output
    }
}
