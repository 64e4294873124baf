import CDNNL
import XCTest
@testable import ZooCore

final class DNNLErrorTests: XCTestCase {
    /// Printed as a `ZooError`: what happened, then what to do.
    func testDescriptionSaysWhatHappenedAndWhatToDo() {
        XCTAssertEqual(DNNLError(function: "dnnl_primitive_create", status: dnnl_unimplemented).description,
                       "error: oneDNN's dnnl_primitive_create has no implementation for these shapes and layouts on this CPU\n"
                       + "  hint: try other layer settings (kernel size, stride, groups) or another precision; "
                       + "if it persists, report it with the architecture file and the command")
        XCTAssertEqual(DNNLError(function: "dnnl_memory_create", status: dnnl_out_of_memory).description,
                       "error: oneDNN's dnnl_memory_create ran out of memory\n  hint: " + MemoryBudget.advice)
        XCTAssertTrue(DNNLError(function: "dnnl_stream_create", status: dnnl_runtime_error).description
            .hasPrefix("error: oneDNN's dnnl_stream_create failed (runtime error)\n  hint: check that oneDNN 2.6 is installed"))
    }
}
