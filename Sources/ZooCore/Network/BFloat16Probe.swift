import Foundation
import ZooFoundation

/// Whether bf16 is faster than float32 on this CPU, measured rather than read off the ISA: oneDNN reports an Intel
/// Xeon whose `VDPBF16PS` runs at half its FMA rate and an AMD Zen 4 that runs it at twice the rate alike as
/// `avx512_core_bf16` (docs/precision.md). `PrecisionSetting.auto` asks this once per process, and only where the
/// ISA has native bf16: one 3x3 convolution forward (64 to 64 channels, 16x16, batch 8: 75 M multiply-adds, about
/// 1 ms in float32) is timed in both types through zoo's own plans, alternately, and the medians compared.
struct BFloat16Probe: Sendable {
    /// bf16 must be this much faster: the rest of a training step (backward weights, batch norm, conversions) gains less.
    static let requiredSpeedup = 1.25
    static let rounds = 5

    /// Seconds per image of the float32 and the bf16 forward, from the medians of the rounds' rates.
    let float32Seconds: Double
    let bfloat16Seconds: Double

    var speedup: Double { float32Seconds / bfloat16Seconds }
    var prefersBFloat16: Bool { speedup >= Self.requiredSpeedup }

    /// `auto`'s precision on a CPU whose ISA has native bf16, and why.
    func choice(isa: CPUISA) -> (precision: Precision, reason: String) {
        let measured = "auto: oneDNN runs \(isa.name); a 3x3 convolution ran \(String(format: "%.2f", speedup))x as fast in bf16 as in fp32 here"
        return prefersBFloat16 ? (.bf16, "\(measured), so bf16")
            : (.fp32, "\(measured) (bf16 needs \(String(format: "%.2f", Self.requiredSpeedup))x), so fp32")
    }

    /// The measurement of this process, made on first use.
    static func measured() throws -> BFloat16Probe {
        try cache.withLock { cached in
            if let cached { return cached }
            let rates = try inferenceRates([.fp32, .bf16])
            let probe = BFloat16Probe(float32Seconds: 1 / rates[0], bfloat16Seconds: 1 / rates[1])
            cached = probe
            return probe
        }
    }

    /// Images/s of the probe's convolution in each precision: zoo's own plans, timed by `Benchmark` in alternating windows.
    static func inferenceRates(_ precisions: [Precision]) throws -> [Double] {
        let convolution = LayerDescription(type: "conv2d", arguments: ["out": LayerArgument(.int(64)), "kernel": LayerArgument(.int(3)),
                                                                         "padding": LayerArgument(.int(1))])
        let network = try Network(layers: [convolution], inputShape: Shape([64, 16, 16]))
        return try Benchmark.inferenceRates(network: network, precisions: precisions, batchSize: 8, steps: 1, windows: rounds)
    }

    private static let cache = Locked<BFloat16Probe?>(nil)
}
