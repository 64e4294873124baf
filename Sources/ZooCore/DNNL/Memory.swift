import CDNNL

/// A oneDNN memory object and the 64-byte aligned buffer behind it.
/// An alias shares another memory's buffer under a different descriptor (a reshape) and keeps it alive.
/// The buffer is bound to `Float` for its whole life: Swift reads and writes it only as floats (int8 and bf16
/// memories are only touched by oneDNN, through the C handle, and by whole-buffer copies).
public final class Memory {
    let handle: dnnl_memory_t
    package let descriptor: MemoryDescriptor
    package let data: UnsafeMutablePointer<Float>
    package let byteCount: Int
    private let storageOwner: Memory?

    init(_ descriptor: MemoryDescriptor, device: Device) throws {
        let byteCount = descriptor.byteCount
        try MemoryBudget.reserve(max(byteCount, 64))
        // Whole floats, at least one cache line (an int8 buffer may end part-way through a float).
        let capacity = max(byteCount, 64).quotientAndRemainder(dividingBy: MemoryLayout<Float>.stride)
        let floats = capacity.quotient + (capacity.remainder > 0 ? 1 : 0)
        let data = UnsafeMutableRawPointer.allocate(byteCount: floats * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: floats)
        // Blocked layouts pad channels; the padding must read as zeros.
        data.initialize(repeating: 0, count: floats)
        var raw = descriptor.raw
        var handle: dnnl_memory_t?
        do {
            try check(dnnl_memory_create(&handle, &raw, device.engine, data), "dnnl_memory_create")
        } catch {
            data.deallocate()
            MemoryBudget.release(max(byteCount, 64))
            throw error
        }
        guard let handle else {
            data.deallocate()
            MemoryBudget.release(max(byteCount, 64))
            throw DNNLError(function: "dnnl_memory_create", status: dnnl_runtime_error)
        }
        self.handle = handle
        self.descriptor = descriptor
        self.data = data
        self.byteCount = byteCount
        self.storageOwner = nil
    }

    init(aliasing owner: Memory, as descriptor: MemoryDescriptor, device: Device) throws {
        guard descriptor.byteCount <= owner.byteCount else {
            throw DNNLError(function: "alias of \(owner.byteCount) bytes as \(descriptor.byteCount)", status: dnnl_invalid_arguments)
        }
        var raw = descriptor.raw
        var handle: dnnl_memory_t?
        try check(dnnl_memory_create(&handle, &raw, device.engine, owner.data), "dnnl_memory_create")
        guard let handle else { throw DNNLError(function: "dnnl_memory_create", status: dnnl_runtime_error) }
        self.handle = handle
        self.descriptor = descriptor
        self.data = owner.data
        self.byteCount = descriptor.byteCount
        self.storageOwner = owner
    }

    deinit {
        dnnl_memory_destroy(handle)
        if storageOwner == nil {
            data.deallocate()
            MemoryBudget.release(max(byteCount, 64))
        }
    }

    /// The whole buffer as floats, padding included (for element-wise work that is layout-blind).
    package var floatCount: Int { byteCount / MemoryLayout<Float>.stride }

    package func withFloats<Result>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try body(UnsafeMutableBufferPointer(start: data, count: floatCount))
    }
}
