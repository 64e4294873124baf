import CDNNL
import Foundation
import ZooFoundation

/// Whether bf16 is faster than float32 on this CPU, measured rather than read off the ISA: oneDNN reports an Intel
/// Xeon whose `VDPBF16PS` runs at half its FMA rate and an AMD Zen 4 that runs it at twice the rate alike as
/// `avx512_core_bf16` (docs/precision.md). `PrecisionSetting.auto` asks this once per process, and only where the
/// ISA has native bf16: one 3x3 convolution forward (64 to 64 channels, 16x16, batch 8: 75 M multiply-adds, about
/// 1 ms in float32) is timed in both types, alternately, and the fastest of the rounds compared.
struct BFloat16Probe: Sendable {
    /// bf16 must be this much faster: its plans also convert activations and weights, which the probe leaves out.
    static let requiredSpeedup = 1.25
    static let rounds = 5

    /// Seconds of the fastest float32 and bf16 forward.
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
            let device = try Device()
            let float32 = try ProbeConvolution(dataType: dnnl_f32, device: device)
            let bfloat16 = try ProbeConvolution(dataType: dnnl_bf16, device: device)
            var float32Seconds = Double.infinity
            var bfloat16Seconds = Double.infinity
            for _ in 0..<rounds {
                float32Seconds = min(float32Seconds, try float32.seconds(on: device))
                bfloat16Seconds = min(bfloat16Seconds, try bfloat16.seconds(on: device))
            }
            let probe = BFloat16Probe(float32Seconds: float32Seconds, bfloat16Seconds: bfloat16Seconds)
            cached = probe
            return probe
        }
    }

    private static let cache = Locked<BFloat16Probe?>(nil)
}

/// The probe's convolution in one data type, with its buffers (zeros: the time does not depend on the values).
struct ProbeConvolution {
    private let call: PrimitiveCall

    init(dataType: dnnl_data_type_t, device: Device) throws {
        let batch = 8, channels = 64, size = 16
        var source = try MemoryDescriptor.any([batch, channels, size, size], dataType: dataType).raw
        var weights = try MemoryDescriptor.any([channels, channels, 3, 3], dataType: dataType).raw
        var destination = try MemoryDescriptor.any([batch, channels, size, size], dataType: dataType).raw
        var operation = dnnl_convolution_desc_t()
        try check(dnnl_convolution_forward_desc_init(&operation, dnnl_forward_training, dnnl_convolution_direct, &source, &weights, nil,
                                                     &destination, [1, 1], [1, 1], [1, 1]), "dnnl_convolution_forward_desc_init")
        let descriptor = try PrimitiveDescriptor(&operation, device: device, name: "bf16 probe convolution")
        let arguments = try [(DNNL_ARG_SRC, dnnl_query_src_md), (DNNL_ARG_WEIGHTS, dnnl_query_weights_md), (DNNL_ARG_DST, dnnl_query_dst_md)]
            .map { argument, query in (argument, try Memory(descriptor.memoryDescriptor(query), device: device)) }
        call = try PrimitiveCall(Primitive(descriptor), name: "bf16 probe convolution", arguments: arguments, device: device)
        try call.attachOwnScratchpad(device: device)
    }

    func seconds(on device: Device) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try call.execute(on: device)
        try device.wait()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
}
