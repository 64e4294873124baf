import CDNNL

/// The CPU engine and its in-order stream; one per process is enough.
public final class Device {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    public init() throws {
        var engine: dnnl_engine_t?
        try check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
        guard let engine else { throw DNNLError(function: "dnnl_engine_create", status: dnnl_runtime_error) }
        var stream: dnnl_stream_t?
        do {
            try check(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue), "dnnl_stream_create")
        } catch {
            dnnl_engine_destroy(engine)
            throw error
        }
        guard let stream else {
            dnnl_engine_destroy(engine)
            throw DNNLError(function: "dnnl_stream_create", status: dnnl_runtime_error)
        }
        self.engine = engine
        self.stream = stream
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }

    func wait() throws { try check(dnnl_stream_wait(stream), "dnnl_stream_wait") }

    /// oneDNN's version, e.g. "2.6.3".
    public static var libraryVersion: String {
        guard let version = dnnl_version()?.pointee else { return "unknown" }
        return "\(version.major).\(version.minor).\(version.patch)"
    }
}
