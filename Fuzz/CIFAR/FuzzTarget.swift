import FuzzSupport
@testable import ZooData

/// CIFAR-10 and CIFAR-100 binary batches, and a class-names file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withFuzzFile(fuzzInput(data, size), name: "data_batch_1.bin") { path in
        _ = try? CIFAR10.format.read([path])
        _ = try? CIFAR100.format.read([path])
        _ = try? CIFAR10.format.classNames(path)
    }
    return 0
}
