import FuzzSupport
import ZooData
import ZooFoundation

/// A budget below libFuzzer's 2 GB RSS limit, so a decompression bomb must be refused by the budget check, not by the fuzzer.
private let budget: Void = MemoryBudget.setLimit(256_000_000, origin: "the fuzzer's budget")

/// JPEG files through libjpeg-turbo and zoo's header checks, then resized both ways (the folder loader's path).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    budget
    let bytes = [0xFF, 0xD8, 0xFF] + fuzzInput(data, size).dropFirst(3)
    if let image = try? ImageDecoder.decode(bytes, file: "fuzz.jpg"), image.width * image.height <= 1 << 16 {
        _ = image.resized(height: 7, width: 300).converted(toChannels: 4 - image.channels)
    }
    return 0
}
