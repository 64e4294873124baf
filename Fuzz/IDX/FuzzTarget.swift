import FuzzSupport
@testable import ZooData

/// IDX files (raw or gzipped), as images (3 dimensions) and as labels (1).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withFuzzFile(fuzzInput(data, size), name: "fuzz-idx3-ubyte") { path in
        _ = try? IDXFile.read(path, dimensionCount: 3)
        _ = try? IDXFile.read(path, dimensionCount: 1)
    }
    return 0
}
