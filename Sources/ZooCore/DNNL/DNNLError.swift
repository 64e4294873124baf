import CDNNL

/// A oneDNN call that did not return `dnnl_success`.
public struct DNNLError: Error, CustomStringConvertible {
    public let function: String
    public let status: dnnl_status_t

    public var description: String {
        let name: String
        switch status {
        case dnnl_out_of_memory: name = "out of memory"
        case dnnl_invalid_arguments: name = "invalid arguments"
        case dnnl_unimplemented: name = "no implementation for these shapes and layouts"
        case dnnl_iterator_ends: name = "iterator ends"
        case dnnl_runtime_error: name = "runtime error"
        case dnnl_not_required: name = "not required"
        default: name = "status \(status.rawValue)"
        }
        return "oneDNN \(function) failed: \(name)"
    }
}

/// The one place a oneDNN status is turned into a thrown error.
@inline(__always)
func check(_ status: dnnl_status_t, _ function: @autoclosure () -> String) throws {
    if status != dnnl_success { throw DNNLError(function: function(), status: status) }
}
