import CDNNL

/// The arithmetic a plan computes in. `bf16` is mixed precision as PyTorch's autocast: the layers that oneDNN
/// runs in bf16 (convolution, inner product and the layers between them) read and write bf16 activations and
/// accumulate in float32; master weights, their gradients, optimizer state, batch-norm statistics, the loss and
/// checkpoints stay float32. `int8` is inference of a quantized network (`zoo quantize`, `Network.quantization`):
/// convolutions, inner products, adds and the pooling between them on int8 values (see `Int8Planning`).
public enum Precision: String, Sendable, CaseIterable {
    case fp32
    case bf16
    case int8

    /// The activation data type of a layer in a plan of this precision: the precision pass. Convolutions and inner
    /// products compute in bf16 except where oneDNN 2.6's bf16 backward weights is far slower than its float32
    /// (batch 128, `zoo bench --precision bf16` with ONEDNN_VERBOSE=1, docs/precision.md):
    /// - fewer than 64 output pixels: 0.3-1 s per call on VGG-lite's 512-channel 4x4 and 2x2 layers, float32 a few ms;
    /// - a strided kernel larger than 1x1: 1.3-1.6 s on ResNet-20's 3x3 stride-2 layers, float32 31-49 ms.
    /// The layers between them (batch norm, activations, pooling, adds) follow their first input, so a float32
    /// convolution's batch norm and ReLU stay float32 up to the next convolution instead of converting twice.
    func dataType(of entry: Network.Entry, inputs: [Activation]) -> dnnl_data_type_t {
        guard self == .bf16, type(of: entry.layer).computesInBFloat16 else { return dnnl_f32 }
        if let convolution = entry.layer as? Conv2d {
            let smallConvolution = entry.outputShape.height * entry.outputShape.width < 64
            let stridedKernel = convolution.stride != (1, 1) && convolution.kernelSize != (1, 1)
            return smallConvolution || stridedKernel ? dnnl_f32 : dnnl_bf16
        }
        return entry.layer is Linear || inputs.first?.descriptor.dataType == dnnl_bf16 ? dnnl_bf16 : dnnl_f32
    }

    /// Throws unless oneDNN has native kernels for this precision on this CPU: bf16 elsewhere is emulated
    /// (slower than float32) on AVX-512 and missing below it.
    func checkSupported() throws {
        guard self == .bf16, !CPUISA.effective.hasNativeBFloat16 else { return }
        throw ZooError("bf16 needs a CPU with native bf16 instructions (AVX512-BF16 or AMX), but oneDNN runs this one as \(CPUISA.effective.name)",
                       hint: "use `--precision auto` (bf16 where the CPU has it and it is faster, else fp32) or `--precision fp32`; ONEDNN_MAX_CPU_ISA, when set, also lowers the ISA oneDNN uses")
    }
}

/// What a user asks for: a precision, or `auto`, which picks bf16 only where the CPU computes it natively and a
/// convolution timed here runs faster in it (`BFloat16Probe`).
/// `int8` needs a quantized checkpoint (or, for `zoo bench`, quantizes on the fly).
public enum PrecisionSetting: String, Sendable, CaseIterable {
    case fp32
    case bf16
    case int8
    case auto

    /// The precision to use and why, in words for `zoo bench` (`chosenBecause`: "asked for", or why it is the
    /// default); bf16 on a CPU without it is an error.
    public func resolve(chosenBecause: String = "asked for") throws -> (precision: Precision, reason: String) {
        let isa = CPUISA.effective
        switch self {
        case .fp32: return (.fp32, chosenBecause)
        case .bf16:
            try Precision.bf16.checkSupported()
            return (.bf16, "\(chosenBecause); oneDNN runs \(isa.name), which computes bf16 natively")
        case .int8:
            return (.int8, "\(chosenBecause); oneDNN runs \(isa.name), " + (isa.hasVNNI ? "whose VNNI instructions multiply int8 natively"
                                                                       : "which has no VNNI, so int8 products go through 16-bit sums"))
        case .auto:
            guard isa.hasNativeBFloat16 else { return (.fp32, "auto: oneDNN runs \(isa.name), which has no native bf16, so fp32") }
            return try BFloat16Probe.measured().choice(isa: isa)
        }
    }
}

/// The instruction set oneDNN uses on this machine (capped by ONEDNN_MAX_CPU_ISA).
struct CPUISA {
    let raw: dnnl_cpu_isa_t

    static var effective: CPUISA { CPUISA(raw: dnnl_get_effective_cpu_isa()) }

    /// oneDNN's bf16 kernels need AVX512-BF16 (AMX includes it); the ISA values are nested bit masks.
    var hasNativeBFloat16: Bool { raw.rawValue & dnnl_cpu_isa_avx512_core_bf16.rawValue == dnnl_cpu_isa_avx512_core_bf16.rawValue }

    /// VNNI (AVX512-VNNI or AVX-VNNI): int8 dot products in one instruction, without the 16-bit intermediate of plain AVX2/AVX-512.
    var hasVNNI: Bool {
        let vnniBits = (dnnl_cpu_isa_avx512_core_vnni.rawValue & ~dnnl_cpu_isa_avx512_core.rawValue)
            | (dnnl_cpu_isa_avx2_vnni.rawValue & ~dnnl_cpu_isa_avx2.rawValue)
        return raw.rawValue & vnniBits != 0
    }

    var name: String {
        let names: [(dnnl_cpu_isa_t, String)] = [
            (dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"), (dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"),
            (dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"), (dnnl_cpu_isa_avx512_core, "avx512_core"),
            (dnnl_cpu_isa_avx2_vnni, "avx2_vnni"), (dnnl_cpu_isa_avx2, "avx2"), (dnnl_cpu_isa_avx, "avx"), (dnnl_cpu_isa_sse41, "sse41"),
        ]
        return names.first { $0.0 == raw }?.1 ?? "ISA 0x\(String(raw.rawValue, radix: 16))"
    }
}
