import FuzzSupport
import ZooData

/// JPEG files through libjpeg-turbo and zoo's header checks, then resized both ways (the folder loader's path).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = [0xFF, 0xD8, 0xFF] + fuzzInput(data, size).dropFirst(3)
    if let image = try? ImageDecoder.decode(bytes, file: "fuzz.jpg"), image.width * image.height <= 1 << 16 {
        _ = image.resized(height: 7, width: 300).converted(toChannels: 4 - image.channels)
    }
    return 0
}
