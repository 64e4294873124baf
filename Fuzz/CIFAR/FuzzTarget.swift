import FuzzSupport
@testable import ZooData

/// CIFAR-10 and CIFAR-100 binary batches, and a class-names file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withFuzzFile(fuzzInput(data, size), name: "data_batch_1.bin") { path in
        _ = try? CIFARFormat.cifar10.read([path])
        _ = try? CIFARFormat.cifar100.read([path])
        _ = try? CIFARFormat.cifar10.classNames(path)
    }
    return 0
}
