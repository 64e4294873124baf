import FuzzSupport
import ZooCore

/// Safetensors header and data layout (in memory and from a file), then the checkpoint checks on top.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    _ = try? SafetensorsFile.decode(bytes, name: "fuzz.safetensors")
    withFuzzFile(bytes, name: "fuzz.safetensors") { path in _ = try? Checkpoint.read(path: path) }
    return 0
}
