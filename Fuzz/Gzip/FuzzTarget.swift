import FuzzSupport
@testable import ZooData

/// gzip streams (zlib inflate), whole and with an output limit.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // Adding the magic bytes where they are missing makes the reader take the gzip path for most inputs,
    // while real .gz seeds are read as they are.
    let input = fuzzInput(data, size)
    let stream = input.starts(with: [0x1f, 0x8b]) ? input : [0x1f, 0x8b] + input
    withFuzzFile(stream, name: "fuzz.gz") { path in
        _ = try? Gzip.contents(of: path, limit: 1 << 20)
    }
    return 0
}
