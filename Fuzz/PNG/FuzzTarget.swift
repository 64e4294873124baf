import FuzzSupport
import ZooData
import ZooFoundation

/// A budget below libFuzzer's 2 GB RSS limit, so a decompression bomb must be refused by the budget check, not by the fuzzer.
private let budget: Void = MemoryBudget.setLimit(256_000_000, origin: "the fuzzer's budget")

/// PNG files through libspng and zoo's header checks, then resized both ways (the folder loader's path).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    budget
    let bytes = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + fuzzInput(data, size).dropFirst(8)
    if let image = try? ImageDecoder.decode(bytes, file: "fuzz.png"), image.width * image.height <= 1 << 16 {
        _ = image.resized(height: 7, width: 300).converted(toChannels: 4 - image.channels)
    }
    return 0
}
