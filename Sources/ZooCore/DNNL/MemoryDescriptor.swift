import CDNNL

/// A oneDNN memory descriptor: logical dimensions, a (possibly blocked) layout and a data type
/// (float32 unless a plan's precision pass chose bf16).
public struct MemoryDescriptor {
    package var raw: dnnl_memory_desc_t

    init(raw: dnnl_memory_desc_t) { self.raw = raw }

    init(dimensions: [Int], tag: dnnl_format_tag_t, dataType: dnnl_data_type_t = dnnl_f32) throws {
        var raw = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_by_tag(&raw, Int32(dimensions.count), dimensions.map { Int64($0) }, dataType, tag),
                  "dnnl_memory_desc_init_by_tag(\(dimensions))")
        self.raw = raw
    }

    /// Row-major ("plain") layout: nchw for images, nc for features, oihw / [out, in] for weights.
    static func plain(_ dimensions: [Int], dataType: dnnl_data_type_t = dnnl_f32) throws -> MemoryDescriptor {
        let tags: [dnnl_format_tag_t] = [dnnl_a, dnnl_ab, dnnl_abc, dnnl_abcd, dnnl_abcde]
        guard (1...tags.count).contains(dimensions.count) else {
            throw ZooError("tensors of rank \(dimensions.count) are not supported")
        }
        return try MemoryDescriptor(dimensions: dimensions, tag: tags[dimensions.count - 1], dataType: dataType)
    }

    /// Lets the primitive choose its fastest (often blocked) layout.
    static func any(_ dimensions: [Int], dataType: dnnl_data_type_t = dnnl_f32) throws -> MemoryDescriptor {
        try MemoryDescriptor(dimensions: dimensions, tag: dnnl_format_tag_any, dataType: dataType)
    }

    var dataType: dnnl_data_type_t { raw.data_type }

    /// Bytes per element: 4 for float32, 2 for bf16.
    var elementSize: Int { dnnl_data_type_size(raw.data_type) }

    /// The same layout holding another data type: blocked layouts count strides in elements, not bytes.
    func withDataType(_ dataType: dnnl_data_type_t) -> MemoryDescriptor {
        var converted = raw
        converted.data_type = dataType
        return MemoryDescriptor(raw: converted)
    }

    var dimensions: [Int] {
        withUnsafeBytes(of: raw.dims) { bytes in
            Array(bytes.assumingMemoryBound(to: Int64.self).prefix(Int(raw.ndims)).map { Int($0) })
        }
    }

    /// Bytes to allocate; larger than the element count when channels are padded to a block.
    package var byteCount: Int {
        var copy = raw
        return dnnl_memory_desc_get_size(&copy)
    }

    /// Whether this is the plain row-major layout of its dimensions.
    var isPlain: Bool {
        guard let plain = try? MemoryDescriptor.plain(dimensions) else { return false }
        return self == plain
    }

    /// A view of part of this memory: `dimensions` starting at `offsets`.
    func submemory(_ dimensions: [Int], offsets: [Int]) throws -> MemoryDescriptor {
        var parent = raw
        var result = dnnl_memory_desc_t()
        try check(dnnl_memory_desc_init_submemory(&result, &parent, dimensions.map { Int64($0) }, offsets.map { Int64($0) }),
                  "dnnl_memory_desc_init_submemory(\(dimensions))")
        return MemoryDescriptor(raw: result)
    }
}

extension MemoryDescriptor: Equatable {
    public static func == (lhs: MemoryDescriptor, rhs: MemoryDescriptor) -> Bool {
        var left = lhs.raw
        var right = rhs.raw
        return dnnl_memory_desc_equal(&left, &right) != 0
    }
}

/// Passes an optional descriptor (e.g. an absent bias) to a C function as a nullable pointer.
func withOptionalDescriptor<Result>(_ descriptor: MemoryDescriptor?,
                                    _ body: (UnsafePointer<dnnl_memory_desc_t>?) throws -> Result) rethrows -> Result {
    guard let descriptor else { return try body(nil) }
    return try withUnsafePointer(to: descriptor.raw) { try body($0) }
}
