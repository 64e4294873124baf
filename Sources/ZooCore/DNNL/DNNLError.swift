import CDNNL

/// A oneDNN call that did not return `dnnl_success`; printed as a `ZooError`, with what to do.
public struct DNNLError: Error, CustomStringConvertible, Sendable {
    public let function: String
    public let status: dnnl_status_t

    /// What happened and what to do, as one paragraph.
    public var zooError: ZooError {
        let report = "if it persists, report it with the architecture file and the command"
        switch status {
        case dnnl_out_of_memory:
            return ZooError("oneDNN's \(function) ran out of memory", hint: MemoryBudget.advice)
        case dnnl_invalid_arguments:
            return ZooError("oneDNN's \(function) refused its arguments (invalid arguments)",
                            hint: "check the layer settings (kernel size, stride, padding, groups) fit the input shape; \(report)")
        case dnnl_unimplemented:
            return ZooError("oneDNN's \(function) has no implementation for these shapes and layouts on this CPU",
                            hint: "try other layer settings (kernel size, stride, groups) or another precision; \(report)")
        default:
            let name = status == dnnl_runtime_error ? "runtime error" : "status \(status.rawValue)"
            return ZooError("oneDNN's \(function) failed (\(name))",
                            hint: "check that oneDNN 2.6 is installed (apt-get install libdnnl-dev) and that memory is not exhausted; \(report)")
        }
    }

    public var description: String { zooError.description }
}

/// The one place a oneDNN status is turned into a thrown error.
@inline(__always)
func check(_ status: dnnl_status_t, _ function: @autoclosure () -> String) throws {
    if status != dnnl_success { throw DNNLError(function: function(), status: status) }
}
