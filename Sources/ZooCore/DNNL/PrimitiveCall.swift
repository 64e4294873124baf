import CDNNL

/// One primitive with its arguments bound once, so a training step only calls `dnnl_primitive_execute`.
final class PrimitiveCall {
    let name: String
    let primitive: Primitive
    private var arguments: [dnnl_exec_arg_t]
    /// Keeps every bound memory alive as long as the call.
    private var memories: [Memory]

    init(_ primitive: Primitive, name: String = "", arguments: [(Int32, Memory)], device: Device) throws {
        self.name = name
        self.primitive = primitive
        self.arguments = arguments.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1.handle) }
        self.memories = arguments.map(\.1)
    }

    var scratchpadDescriptor: MemoryDescriptor { primitive.descriptor.memoryDescriptor(dnnl_query_scratchpad_md) }

    func attachScratchpad(_ memory: Memory) {
        arguments.append(dnnl_exec_arg_t(arg: DNNL_ARG_SCRATCHPAD, memory: memory.handle))
        memories.append(memory)
    }

    func attachOwnScratchpad(device: Device) throws {
        let descriptor = scratchpadDescriptor
        if descriptor.byteCount > 0 { attachScratchpad(try Memory(descriptor, device: device)) }
    }

    func execute(on device: Device) throws {
        let status = arguments.withUnsafeBufferPointer { buffer in
            dnnl_primitive_execute(primitive.handle, device.stream, Int32(buffer.count), buffer.baseAddress)
        }
        try check(status, "dnnl_primitive_execute(\(name))")
    }
}
