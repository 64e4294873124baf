import Foundation
import FuzzSupport
@testable import ZooData

/// Tar archives, extracted into a scratch folder that is emptied after each input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let folder = "/dev/shm/zoo-fuzz-tar-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    _ = try? Tar.extract(fuzzInput(data, size), path: "fuzz.tar", into: folder)
    try? FileManager.default.removeItem(atPath: folder)
    return 0
}
