import FuzzSupport
import ZooConfig

/// Training configs, with and without overrides.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: fuzzInput(data, size), as: UTF8.self)
    _ = try? TrainingConfig.resolve(text: text, file: "fuzz.yaml", overrides: [])
    _ = try? TrainingConfig.resolve(text: text, file: "fuzz.yaml", overrides: ["optimizer.lr=0.5", "epochs=2"])
    return 0
}
