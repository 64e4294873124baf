import FuzzSupport
@testable import ZooData

/// gzip streams (zlib inflate), whole and with an output limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The magic bytes make the reader take the gzip path for most inputs.
    withFuzzFile([0x1f, 0x8b] + fuzzInput(data, size), name: "fuzz.gz") { path in
        _ = try? Gzip.contents(of: path, limit: 1 << 20)
    }
    return 0
}
