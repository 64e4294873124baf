import CDNNL

/// The CPU engine and an in-order stream on it. Replicas of a network that run on other threads share
/// the engine (so memory moves freely between them) and have streams of their own.
public final class Device {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    /// The device whose engine this one borrows; nil when this one created (and destroys) it.
    private let engineOwner: Device?

    public init() throws {
        var engine: dnnl_engine_t?
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        guard let engine else { throw DNNLError(function: "dnnl_engine_create", status: dnnl_runtime_error) }
        do {
            stream = try Device.makeStream(on: engine)
        } catch {
            dnnl_engine_destroy(engine)
            throw error
        }
        self.engine = engine
        engineOwner = nil
    }

    /// A new stream on `other`'s engine.
    init(sharingEngineOf other: Device) throws {
        engine = other.engine
        stream = try Device.makeStream(on: other.engine)
        engineOwner = other
    }

    private static func makeStream(on engine: dnnl_engine_t) throws -> dnnl_stream_t {
        var stream: dnnl_stream_t?
        try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        guard let stream else { throw DNNLError(function: "dnnl_stream_create", status: dnnl_runtime_error) }
        return stream
    }

    deinit {
        dnnl_stream_destroy(stream)
        if engineOwner == nil { dnnl_engine_destroy(engine) }
    }

    func wait() throws { try check(dnnl_stream_wait(stream), "dnnl_stream_wait") }

    /// oneDNN's version, e.g. "2.6.3".
    public static var libraryVersion: String {
        guard let version = dnnl_version()?.pointee else { return "unknown" }
        return "\(version.major).\(version.minor).\(version.patch)"
    }

    /// The instruction set oneDNN's kernels use on this machine (`ONEDNN_MAX_CPU_ISA` can lower it), as oneDNN names it.
    public static var effectiveISA: String {
        let names: [(dnnl_cpu_isa_t, String)] = [
            (dnnl_cpu_isa_sse41, "sse41"), (dnnl_cpu_isa_avx, "avx"), (dnnl_cpu_isa_avx2, "avx2"), (dnnl_cpu_isa_avx2_vnni, "avx2_vnni"),
            (dnnl_cpu_isa_avx512_mic, "avx512_mic"), (dnnl_cpu_isa_avx512_mic_4ops, "avx512_mic_4ops"),
            (dnnl_cpu_isa_avx512_core, "avx512_core"), (dnnl_cpu_isa_avx512_core_vnni, "avx512_core_vnni"),
            (dnnl_cpu_isa_avx512_core_bf16, "avx512_core_bf16"), (dnnl_cpu_isa_avx512_core_amx, "avx512_core_amx"),
        ]
        let isa = dnnl_get_effective_cpu_isa()
        return names.first { $0.0 == isa }?.1 ?? "isa 0x\(String(isa.rawValue, radix: 16))"
    }
}
