import CDNNL

/// An owned primitive descriptor: the implementation oneDNN chose for one operation and its layouts.
final class PrimitiveDescriptor {
    let handle: dnnl_primitive_desc_t

    /// `operation` is one of oneDNN's `*_desc_t` structs filled by a `*_desc_init` call.
    init<Operation>(_ operation: inout Operation, device: Device, hint: PrimitiveDescriptor? = nil,
                    postOps: PostOps? = nil, scales: PrimitiveScales? = nil, name: String) throws {
        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "dnnl_primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attributes) }
        // Scratchpads are ours, so one buffer per plan serves every primitive and nothing is allocated per step.
        try check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode")
        if let postOps {
            try check(dnnl_primitive_attr_set_post_ops(attributes, postOps.handle), "dnnl_primitive_attr_set_post_ops")
        }
        try scales?.apply(to: attributes)
        var handle: dnnl_primitive_desc_t?
        let status = withUnsafePointer(to: &operation) { pointer in
            dnnl_primitive_desc_create(&handle, UnsafeRawPointer(pointer), attributes, device.engine, hint?.handle)
        }
        try check(status, "dnnl_primitive_desc_create(\(name))")
        guard let handle else { throw DNNLError(function: "dnnl_primitive_desc_create(\(name))", status: dnnl_runtime_error) }
        self.handle = handle
    }

    /// A reorder (layout or data type change); with `scale`, each value is multiplied by it (int8 quantization).
    init(reorderFrom source: MemoryDescriptor, to destination: MemoryDescriptor, scale: Float? = nil, device: Device) throws {
        var sourceRaw = source.raw
        var destinationRaw = destination.raw
        handle = try PrimitiveDescriptor.create("dnnl_reorder_primitive_desc_create", scales: scale.map { .output([$0]) }) { handle, attributes in
            dnnl_reorder_primitive_desc_create(&handle, &sourceRaw, device.engine, &destinationRaw, device.engine, attributes)
        }
    }

    /// The element-wise sum of `sources` (oneDNN `sum`, all scales 1) into `destination` (which may be `any`).
    init(sumOf sources: [MemoryDescriptor], into destination: MemoryDescriptor, device: Device) throws {
        var destinationRaw = destination.raw
        let scales = [Float](repeating: 1, count: sources.count)
        let raws = sources.map(\.raw)
        handle = try PrimitiveDescriptor.create("dnnl_sum_primitive_desc_create") { handle, attributes in
            dnnl_sum_primitive_desc_create(&handle, &destinationRaw, Int32(raws.count), scales, raws, attributes, device.engine)
        }
    }

    /// `sources` joined along `dimension` (oneDNN `concat`) into `destination` (which may be `any`).
    init(concatenating sources: [MemoryDescriptor], along dimension: Int, into destination: MemoryDescriptor, device: Device) throws {
        var destinationRaw = destination.raw
        let raws = sources.map(\.raw)
        handle = try PrimitiveDescriptor.create("dnnl_concat_primitive_desc_create") { handle, attributes in
            dnnl_concat_primitive_desc_create(&handle, &destinationRaw, Int32(raws.count), Int32(dimension), raws, attributes, device.engine)
        }
    }

    /// Runs a `*_primitive_desc_create` function with user-scratchpad attributes.
    private static func create(_ function: String, scales: PrimitiveScales? = nil,
                               _ body: (inout dnnl_primitive_desc_t?, dnnl_primitive_attr_t?) -> dnnl_status_t) throws -> dnnl_primitive_desc_t {
        var attributes: dnnl_primitive_attr_t?
        try check(dnnl_primitive_attr_create(&attributes), "dnnl_primitive_attr_create")
        defer { dnnl_primitive_attr_destroy(attributes) }
        try check(dnnl_primitive_attr_set_scratchpad_mode(attributes, dnnl_scratchpad_mode_user), "dnnl_primitive_attr_set_scratchpad_mode")
        try scales?.apply(to: attributes)
        var handle: dnnl_primitive_desc_t?
        try check(body(&handle, attributes), function)
        guard let handle else { throw DNNLError(function: function, status: dnnl_runtime_error) }
        return handle
    }

    deinit { dnnl_primitive_desc_destroy(handle) }

    /// The layout the implementation chose for one of its tensors (e.g. `dnnl_query_src_md`).
    func memoryDescriptor(_ query: dnnl_query_t, index: Int32 = 0) -> MemoryDescriptor {
        guard let pointer = dnnl_primitive_desc_query_md(handle, query, index) else {
            return MemoryDescriptor(raw: dnnl_memory_desc_t())
        }
        return MemoryDescriptor(raw: pointer.pointee)
    }

    /// The implementation's name, e.g. "jit:avx512_core"; informational, so a failed query reads "?" rather than throwing.
    var implementation: String {
        var name: UnsafePointer<CChar>?
        guard dnnl_primitive_desc_query(handle, dnnl_query_impl_info_str, 0, &name) == dnnl_success, let name else { return "?" }
        return String(cString: name)
    }
}

/// An owned primitive, created once per plan and executed every step.
final class Primitive {
    let handle: dnnl_primitive_t
    let descriptor: PrimitiveDescriptor

    init(_ descriptor: PrimitiveDescriptor) throws {
        var handle: dnnl_primitive_t?
        try check(dnnl_primitive_create(&handle, descriptor.handle), "dnnl_primitive_create")
        guard let handle else { throw DNNLError(function: "dnnl_primitive_create", status: dnnl_runtime_error) }
        self.handle = handle
        self.descriptor = descriptor
    }

    deinit { dnnl_primitive_destroy(handle) }
}

/// The scales of an int8 primitive (oneDNN 2.6 attributes).
enum PrimitiveScales {
    /// Output scales: one for the whole tensor, or one per output channel (dimension 1, mask 1 << 1).
    case output([Float])
    /// One scale per source of a binary operation, applied to that source before the operation.
    case sources([Float])

    func apply(to attributes: dnnl_primitive_attr_t?) throws {
        switch self {
        case .output(let scales):
            try check(dnnl_primitive_attr_set_output_scales(attributes, Int64(scales.count), scales.count == 1 ? 0 : 1 << 1, scales),
                      "dnnl_primitive_attr_set_output_scales")
        case .sources(let scales):
            for (index, scale) in scales.enumerated() {
                try check(dnnl_primitive_attr_set_scales(attributes, DNNL_ARG_SRC_0 + Int32(index), 1, 0, [scale]), "dnnl_primitive_attr_set_scales")
            }
        }
    }
}

/// Eltwise operations fused after a convolution or inner product.
final class PostOps {
    let handle: dnnl_post_ops_t

    init() throws {
        var handle: dnnl_post_ops_t?
        try check(dnnl_post_ops_create(&handle), "dnnl_post_ops_create")
        guard let handle else { throw DNNLError(function: "dnnl_post_ops_create", status: dnnl_runtime_error) }
        self.handle = handle
    }

    deinit { dnnl_post_ops_destroy(handle) }

    /// Post-ops holding one ReLU, as ELU with alpha 0 so that NaN propagates (see `ReLU`).
    convenience init(relu: Void) throws {
        try self.init()
        try check(dnnl_post_ops_append_eltwise(handle, 1, dnnl_eltwise_elu, 0, 0), "dnnl_post_ops_append_eltwise")
    }
}
