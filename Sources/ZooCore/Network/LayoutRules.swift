import CDNNL

/// Layout choice, one rule per decision. oneDNN picks a layout itself for a descriptor given as `any`; these rules
/// decide which other layouts a conv or linear offers it, in which order; the first that gets oneDNN's best kind of
/// kernel wins (`PlanBuilder.fastest`). The layout pass (`LayoutPass`) decides from a node's kind and shapes which
/// rules apply; the rules that also depend on what oneDNN picked check that as they are asked.
/// Elsewhere layouts follow the input: pooling, eltwise and batch norm run in their input's layout, `add` in its
/// first input's, and a plan's input, output and captures are plain.
enum LayoutRule: String, CaseIterable, Sendable {
    /// Weights: each primitive picks its own layout, since forcing one can land on a reference kernel; the first
    /// forward's pick becomes the parameter's layout. Activations: the neighbours' layouts first, to save reorders.
    case neighboursFirst
    /// With AVX-512 oneDNN blocks channels by 16, so a conv of 8 output channels or fewer computes twice its size or
    /// more; its AVX2 kernels block by 8 and run on the same machine. Such a conv takes 8-channel blocks when a JIT
    /// kernel has them (no kernel is a fallback, not an error). Readers offer that layout first: the Swift max pooling
    /// keeps it; a wider convolution after it may still pick another (LeNet's conv2 reads nchw). Where it was taken,
    /// oneDNN's AVX-512 backward weights on its own gradient layout (16-channel blocks, after a reorder) beats the
    /// channels-last one: LeNet's conv1, 64 images on one thread, 0.26 ms against 0.42 ms.
    case eightChannelBlocks
    /// A plain image source with one channel is also channels-last, byte for byte: where oneDNN blocks channels by 8
    /// (AVX2), its channels-last backward weights beat the blocked one, which pads the channel to 8 (LeNet's conv1:
    /// 0.27 ms against 0.64 ms plus a 0.23 ms reorder of the input, for a 0.15 ms reorder of the gradient). With
    /// 16-channel blocks (AVX-512) channels-last was slower, so it is not offered there.
    case oneChannelChannelsLast
    /// oneDNN's GEMM inner products read plain weights either way round, but backward data picks the transpose of
    /// the forward's layout (`ab` against `ba`) when left to choose. Offered the forward's layout first, a linear
    /// layer saves a reorder of its weights every step (`cnn3-bn-fc`'s fc1, 512x1728: 0.7 ms of a 105 ms step).
    case forwardWeightsForBackwardData

    /// Whether the rule applies to a layer, from its kind and shapes alone.
    func applies(to layer: any Layer, input: Shape, output: Shape) -> Bool {
        guard layer is Conv2d || layer is Linear else { return false }
        switch self {
        case .neighboursFirst: return true
        case .eightChannelBlocks: return output.isImage && output.channels <= 8
        case .oneChannelChannelsLast: return input.isImage && input.channels == 1
        case .forwardWeightsForBackwardData: return layer is Linear
        }
    }
}

/// The layout pass, after fusion: per layer, the rules that apply to it (none for a layer fused into the node before).
enum LayoutPass {
    static func run(_ entries: [Network.Entry], nodes: [FusedNode]) -> [[LayoutRule]] {
        var rules = [[LayoutRule]](repeating: [], count: entries.count)
        for node in nodes {
            let entry = entries[node.layer]
            rules[node.layer] = LayoutRule.allCases.filter { $0.applies(to: entry.layer, input: entry.inputShape, output: entry.outputShape) }
        }
        return rules
    }
}

/// What a conv's or linear's primitives are offered, by the rules that apply to it.
struct WeightedLayouts {
    let rules: [LayoutRule]
    let anySource: MemoryDescriptor
    let anyOutput: MemoryDescriptor

    /// Forward sources: the input's layout, then oneDNN's (the input is then reordered for it).
    func forwardSources(input: MemoryDescriptor) -> [MemoryDescriptor] { [input, anySource] }

    /// The forward output in 8-channel blocks, where `eightChannelBlocks` applies and oneDNN picked 16-channel ones.
    func narrowedOutput(picked: MemoryDescriptor) throws -> MemoryDescriptor? {
        let dimensions = anyOutput.dimensions
        guard rules.contains(.eightChannelBlocks), picked == (try MemoryDescriptor(dimensions: dimensions, tag: dnnl_aBcd16b)) else { return nil }
        return try MemoryDescriptor(dimensions: dimensions, tag: dnnl_aBcd8b)
    }

    /// (diff_src, diff_dst) for backward data: the neighbours' gradients' layouts, then oneDNN's.
    func backwardDataChoices(inputGradient: MemoryDescriptor, outputGradient: MemoryDescriptor) -> [(MemoryDescriptor, MemoryDescriptor)] {
        [(inputGradient, outputGradient), (anySource, outputGradient), (anySource, anyOutput)]
    }

    /// Weights for backward data: the forward's layout where `forwardWeightsForBackwardData` applies, then oneDNN's.
    func backwardDataWeights(forward: MemoryDescriptor, any: MemoryDescriptor) -> [MemoryDescriptor] {
        rules.contains(.forwardWeightsForBackwardData) ? [forward, any] : [any]
    }

    /// The source of a forward on an 8-channel-blocked output, read as channels-last where `oneChannelChannelsLast` applies.
    func channelsLastSource(source: MemoryDescriptor, forwardOutput: MemoryDescriptor) throws -> MemoryDescriptor? {
        let dimensions = anySource.dimensions
        guard rules.contains(.oneChannelChannelsLast), source.isPlain,
              forwardOutput == (try MemoryDescriptor(dimensions: anyOutput.dimensions, tag: dnnl_aBcd8b)) else { return nil }
        return try MemoryDescriptor(dimensions: dimensions, tag: dnnl_acdb)
    }

    /// (src, diff_dst) for backward weights: the forward's own, the rules' choices, then oneDNN's (the input then
    /// reordered for it).
    func backwardWeightsChoices(source: MemoryDescriptor, outputGradient: MemoryDescriptor, narrowed: Bool,
                                channelsLastSource: MemoryDescriptor?) throws -> [(MemoryDescriptor, MemoryDescriptor)] {
        var choices = [(source, outputGradient)]
        if narrowed { choices.append((source, anyOutput)) }
        if let channelsLastSource { choices.append((channelsLastSource, try MemoryDescriptor(dimensions: anyOutput.dimensions, tag: dnnl_acdb))) }
        return choices + [(anySource, anyOutput), (source, anyOutput)]
    }
}

extension PlanBuilder {
    /// The primitive descriptor from the first layout choice that gets the best kind of kernel oneDNN has:
    /// its optimised JIT and brgemm kernels, then its GEMM-based ones, then the reference code (up to ~50x slower).
    func fastest<Choice>(_ choices: [Choice], _ make: (Choice) throws -> PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var best: (descriptor: PrimitiveDescriptor, rank: Int)?
        var firstError: Error?
        for choice in choices {
            do {
                let descriptor = try make(choice)
                let score = Self.kernelRank(descriptor)
                if score == Self.bestKernelRank { return descriptor }
                if score > best?.rank ?? -1 { best = (descriptor, score) }
            } catch {
                firstError = firstError ?? error
            }
        }
        if let best { return best.descriptor }
        throw firstError ?? ZooError("no oneDNN implementation for \(currentLayerName)")
    }

    static let bestKernelRank = 2

    /// 0 for the reference code, 1 for GEMM-based kernels, 2 for JIT and brgemm ones.
    static func kernelRank(_ descriptor: PrimitiveDescriptor) -> Int {
        let implementation = descriptor.implementation
        return implementation.hasPrefix("ref") ? 0 : implementation.hasPrefix("x64:gemm") || implementation.hasPrefix("gemm") ? 1 : bestKernelRank
    }
}
