import Foundation

/// libFuzzer's input as bytes.
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] { Array(UnsafeBufferPointer(start: data, count: size)) }

/// The readers under test take paths: each input is written to one file in shared memory, reused by every run.
public func withFuzzFile<Result>(_ bytes: [UInt8], name: String, _ body: (String) throws -> Result) rethrows -> Result {
    let folder = "/dev/shm/zoo-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return try body(path)
}
