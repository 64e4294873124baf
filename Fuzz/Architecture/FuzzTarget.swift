import FuzzSupport
import ZooConfig
import ZooCore

/// A small budget keeps each input fast: drawing millions of initial weights under ASan takes seconds.
private let budget: Void = MemoryBudget.setLimit(4_000_000, origin: "the fuzzer's budget")

/// Architecture YAML: parsing, expansion and shape inference for MNIST's input, with the memory budget in force.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    budget
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    if let architecture = try? Architecture.parse(text: text, file: "fuzz.yaml") {
        _ = try? architecture.network(dataset: DatasetInput.named("mnist"))
    }
    return 0
}
