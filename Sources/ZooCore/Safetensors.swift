import Foundation

/// One tensor of a safetensors file: its element type, shape and raw little-endian bytes.
public struct SafetensorsTensor: Sendable, Equatable {
    /// "F32", "I64", "I32", "U8" or "I8" (the weights of an int8 checkpoint).
    public var dtype: String
    public var shape: [Int]
    public var bytes: [UInt8]

    /// Bytes per element of each dtype zoo reads and writes.
    static let elementSizes: [String: Int] = ["F32": 4, "I64": 8, "I32": 4, "U8": 1, "I8": 1]

    public init(dtype: String, shape: [Int], bytes: [UInt8]) {
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    public init(floats: [Float], shape: [Int]) {
        assert(floats.count == shape.reduce(1, *), "\(floats.count) floats for shape \(shape)")
        var bytes = [UInt8](repeating: 0, count: floats.count * 4)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in floats.enumerated() {
                raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        self.init(dtype: "F32", shape: shape, bytes: bytes)
    }

    public init(int64s: [Int64], shape: [Int]) {
        assert(int64s.count == shape.reduce(1, *), "\(int64s.count) integers for shape \(shape)")
        var bytes = [UInt8](repeating: 0, count: int64s.count * 8)
        bytes.withUnsafeMutableBytes { raw in
            for (index, value) in int64s.enumerated() {
                raw.storeBytes(of: value.littleEndian, toByteOffset: index * 8, as: Int64.self)
            }
        }
        self.init(dtype: "I64", shape: shape, bytes: bytes)
    }

    public init(int8s: [Int8], shape: [Int]) {
        assert(int8s.count == shape.reduce(1, *), "\(int8s.count) integers for shape \(shape)")
        self.init(dtype: "I8", shape: shape, bytes: int8s.map { UInt8(bitPattern: $0) })
    }

    public var int8s: [Int8] {
        get throws {
            try checkType("I8", size: 1)
            return bytes.map { Int8(bitPattern: $0) }
        }
    }

    public var floats: [Float] {
        get throws {
            try checkType("F32", size: 4)
            return bytes.withUnsafeBytes { raw in
                (0..<raw.count / 4).map { index in
                    Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)))
                }
            }
        }
    }

    public var int64s: [Int64] {
        get throws {
            try checkType("I64", size: 8)
            return bytes.withUnsafeBytes { raw in
                (0..<raw.count / 8).map { index in
                    Int64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: Int64.self))
                }
            }
        }
    }

    private func checkType(_ wanted: String, size: Int) throws {
        guard dtype == wanted else {
            throw ZooError("tensor holds \(dtype) values, not \(wanted)",
                           hint: "the file was written for a different tensor type; check which tensor is read")
        }
        guard bytes.count % size == 0 else {
            throw ZooError("tensor has \(bytes.count) bytes, not a whole number of \(size)-byte \(wanted) values")
        }
    }
}

/// A safetensors file: an 8-byte little-endian header length, a JSON header, then the tensors' bytes.
/// Used for checkpoints and for the PyTorch fixtures in Tests/ZooCoreTests/Fixtures.
public struct SafetensorsFile: Sendable {
    public var tensors: [String: SafetensorsTensor]
    public var metadata: [String: String]

    /// Larger headers come from corrupt length fields, not real files; refusing them avoids a huge allocation.
    static let maximumHeaderLength = 100_000_000

    public init(tensors: [String: SafetensorsTensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The tensor called `name`, or an error naming the file when it is absent.
    public func tensor(_ name: String, in file: String = "safetensors file") throws -> SafetensorsTensor {
        guard let tensor = tensors[name] else {
            throw ZooError("no tensor named '\(name)'", place: file,
                           hint: "the file has: \(tensors.keys.sorted().joined(separator: ", "))")
        }
        return tensor
    }

    /// Reads the 8-byte length and the header first and checks them against the file's size, so a damaged or
    /// foreign file is refused without reading its data; tensors are read only once the whole layout is valid.
    public static func read(path: String) throws -> SafetensorsFile {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ZooError("file not found", place: path, hint: "check the path, or train first to create a checkpoint")
        }
        let cannotRead = ZooError("cannot read the file", place: path, hint: "check that it is a readable file, not a folder")
        guard !isDirectory.boolValue, let handle = FileHandle(forReadingAtPath: path) else { throw cannotRead }
        defer { try? handle.close() }
        do {
            let size = Int(try handle.seekToEnd())
            return try decode(size: size, name: path) { range in
                try handle.seek(toOffset: UInt64(range.lowerBound))
                let data = try handle.read(upToCount: range.count) ?? Data()
                guard data.count == range.count else {
                    throw ZooError("the file ended at byte \(range.lowerBound + data.count) while reading bytes \(range)", place: path,
                                   hint: "the file changed while it was read, or is damaged; write it again")
                }
                return [UInt8](data)
            }
        } catch let error as ZooError {
            throw error
        } catch {
            throw cannotRead
        }
    }

    /// Parses a whole file held in memory; `name` is used in error places ("<name> at byte <offset>").
    public static func decode(_ bytes: [UInt8], name: String) throws -> SafetensorsFile {
        try decode(size: bytes.count, name: name) { Array(bytes[$0]) }
    }

    /// The parser, over a file of `size` bytes whose byte ranges `read` returns (from memory or from disk).
    private static func decode(size: Int, name: String, read: (Range<Int>) throws -> [UInt8]) throws -> SafetensorsFile {
        func failure(_ message: String, at offset: Int, hint: String) -> ZooError {
            ZooError(message, place: "\(name) at byte \(offset)", hint: hint)
        }
        let notSafetensors = "the file is not a safetensors file or is damaged; write it again"
        guard size >= 8 else {
            throw failure("file is \(size) bytes, too short for the 8-byte header length", at: 0, hint: notSafetensors)
        }
        let declaredLength = try read(0..<8).withUnsafeBytes { raw in UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self)) }
        guard declaredLength <= UInt64(maximumHeaderLength) else {
            throw failure("header length \(declaredLength) is absurd (more than \(maximumHeaderLength) bytes)",
                          at: 0, hint: notSafetensors)
        }
        let headerLength = Int(declaredLength)
        guard headerLength <= size - 8 else {
            throw failure("header length \(headerLength) runs past the end of the \(size)-byte file",
                          at: 0, hint: "the file was probably cut short; write it again")
        }
        let header = try read(8..<8 + headerLength)
        let dataStart = 8 + headerLength
        let dataLength = size - dataStart

        // The format says UTF-8 JSON; JSONSerialization would also take UTF-16 or UTF-32 (whose NUL bytes are
        // control characters, which JSON text never holds raw).
        if let invalid = firstInvalidUTF8(header) {
            throw failure("header is not valid UTF-8 JSON text", at: 8 + invalid, hint: notSafetensors)
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(header), options: [])
        } catch {
            throw failure("header is not valid JSON", at: 8, hint: notSafetensors)
        }
        guard let entries = parsed as? [String: Any] else {
            throw failure("header is JSON but not an object", at: 8, hint: notSafetensors)
        }

        // JSONSerialization keeps one of two equal keys; a header naming a tensor twice is ambiguous.
        var seen = Set<String>()
        for (key, offset) in topLevelKeys(header) where !seen.insert(key).inserted {
            throw failure("the header names '\(key)' twice", at: 8 + offset, hint: notSafetensors)
        }

        // Places inside the header point at the entry's key (as the reference writes it: no spaces), else the header start.
        func entryOffset(_ key: String) -> Int { 8 + (byteOffset(of: encodeJSONString(key) + ":{", in: header) ?? 0) }

        var metadata: [String: String] = [:]
        if let rawMetadata = entries["__metadata__"] {
            guard let strings = rawMetadata as? [String: String] else {
                throw failure("__metadata__ is not an object of strings", at: entryOffset("__metadata__"), hint: notSafetensors)
            }
            metadata = strings
        }

        struct Span { var name: String; var dtype: String; var shape: [Int]; var begin: Int; var end: Int }
        var spans: [Span] = []
        for key in entries.keys.sorted() where key != "__metadata__" {
            let at = entryOffset(key)
            guard let entry = entries[key] as? [String: Any] else {
                throw failure("tensor '\(key)' is not a JSON object", at: at, hint: notSafetensors)
            }
            for field in ["dtype", "shape", "data_offsets"] where entry[field] == nil {
                throw failure("tensor '\(key)' has no \(field)", at: at, hint: notSafetensors)
            }
            guard let dtype = entry["dtype"] as? String, let elementSize = SafetensorsTensor.elementSizes[dtype] else {
                throw failure("tensor '\(key)' has unknown dtype \(entry["dtype"] ?? "")", at: at,
                              hint: "zoo reads F32, I64, I32, U8 and I8 tensors; convert the file, e.g. with tensor.float() in PyTorch")
            }
            guard let shape = entry["shape"] as? [Int], shape.allSatisfy({ $0 >= 0 }) else {
                throw failure("tensor '\(key)' has a shape that is not a list of non-negative integers", at: at,
                              hint: notSafetensors)
            }
            guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2 else {
                throw failure("tensor '\(key)' data_offsets is not a pair of integers", at: at, hint: notSafetensors)
            }
            let begin = offsets[0], end = offsets[1]
            guard begin >= 0, begin <= end, end <= dataLength else {
                throw failure("tensor '\(key)' data_offsets [\(begin), \(end)] fall outside the \(dataLength)-byte data region",
                              at: at, hint: "the file was probably cut short; write it again")
            }
            guard let expected = byteCount(shape: shape, elementSize: elementSize) else {
                throw failure("tensor '\(key)' shape \(shape) has too many elements to address", at: at, hint: notSafetensors)
            }
            guard expected == end - begin else {
                throw failure("tensor '\(key)' has \(end - begin) bytes but shape \(shape) of \(dtype) needs \(expected)",
                              at: at, hint: notSafetensors)
            }
            spans.append(Span(name: key, dtype: dtype, shape: shape, begin: begin, end: end))
        }

        // Tensors must tile the data region exactly, as the reference implementation requires.
        spans.sort { ($0.begin, $0.end) < ($1.begin, $1.end) }
        var covered = 0
        var previous: Span?
        for span in spans {
            if span.begin < covered, let previous {
                throw failure("tensor '\(span.name)' (data bytes \(span.begin)..<\(span.end)) overlaps tensor "
                              + "'\(previous.name)' (data bytes \(previous.begin)..<\(previous.end))",
                              at: dataStart + span.begin, hint: notSafetensors)
            }
            if span.begin > covered {
                throw failure("data bytes \(covered)..<\(span.begin) belong to no tensor", at: dataStart + covered,
                              hint: notSafetensors)
            }
            covered = span.end
            previous = span
        }
        guard covered == dataLength else {
            throw failure("data bytes \(covered)..<\(dataLength) belong to no tensor", at: dataStart + covered,
                          hint: notSafetensors)
        }
        // Only now, with the layout valid, is any tensor's data read.
        var tensors: [String: SafetensorsTensor] = [:]
        for span in spans {
            tensors[span.name] = SafetensorsTensor(dtype: span.dtype, shape: span.shape, bytes: try read(dataStart + span.begin..<dataStart + span.end))
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }

    /// Tensors sorted by name; the header is padded with spaces to a multiple of 8 bytes, as the reference does.
    public func encoded() -> [UInt8] {
        let sorted = tensors.sorted { $0.key < $1.key }
        var fields: [String] = []
        if !metadata.isEmpty {
            let pairs = metadata.keys.sorted().map { "\(encodeJSONString($0)):\(encodeJSONString(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{\(pairs.joined(separator: ","))}")
        }
        var offset = 0
        for (name, tensor) in sorted {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            fields.append("\(encodeJSONString(name)):{\"dtype\":\(encodeJSONString(tensor.dtype)),\"shape\":[\(shape)],"
                          + "\"data_offsets\":[\(offset),\(offset + tensor.bytes.count)]}")
            offset += tensor.bytes.count
        }
        var header = Array("{\(fields.joined(separator: ","))}".utf8)
        header += [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8)

        var output: [UInt8] = []
        output.reserveCapacity(8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { output += $0 }
        output += header
        for (_, tensor) in sorted {
            output += tensor.bytes
        }
        return output
    }

    /// Atomic: a crash mid-write leaves the old file intact, never a truncated checkpoint.
    public func write(to path: String) throws { try writeAtomically(Data(encoded()), to: path) }
}

/// Size in bytes of a tensor, or nil when the shape's element count overflows.
private func byteCount(shape: [Int], elementSize: Int) -> Int? {
    var total = elementSize
    for dimension in shape {
        let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
        if overflow { return nil }
        total = product
    }
    return total
}

/// JSON string literal, escaped as serde_json (the reference writer) does, so headers match byte for byte.
private func encodeJSONString(_ text: String) -> String {
    var result = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        case "\u{08}": result += "\\b"
        case "\u{0C}": result += "\\f"
        case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result + "\""
}

/// Offset of the first occurrence of `needle`'s UTF-8 bytes in `haystack`.
private func byteOffset(of needle: String, in haystack: [UInt8]) -> Int? {
    let pattern = Array(needle.utf8)
    guard !pattern.isEmpty, pattern.count <= haystack.count else { return nil }
    for start in 0...(haystack.count - pattern.count) where haystack[start] == pattern[0] {
        if haystack[start..<start + pattern.count].elementsEqual(pattern) { return start }
    }
    return nil
}

/// The offset of the first byte that is not valid UTF-8, or is a control character other than JSON's
/// whitespace; nil when there is none.
private func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
    var iterator = bytes.makeIterator()
    var decoder = UTF8()
    var offset = 0
    while true {
        switch decoder.decode(&iterator) {
        case .scalarValue(let scalar) where scalar.value < 0x20 && !["\t", "\n", "\r"].contains(scalar): return offset
        case .scalarValue(let scalar): offset += UTF8.width(scalar)
        case .emptyInput: return nil
        case .error: return offset
        }
    }
}

/// The keys of a JSON object already known to be valid, in the order written and with repeats, each with the
/// offset of its opening quote: a string at depth 1 followed by a colon.
private func topLevelKeys(_ json: [UInt8]) -> [(key: String, offset: Int)] {
    let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), colon = UInt8(ascii: ":")
    let whitespace: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D]
    var keys: [(key: String, offset: Int)] = []
    var depth = 0, index = 0
    while index < json.count {
        switch json[index] {
        case quote:
            let start = index
            index += 1
            while json[index] != quote { index += json[index] == backslash ? 2 : 1 }
            var next = index + 1
            while next < json.count, whitespace.contains(json[next]) { next += 1 }
            if depth == 1, next < json.count, json[next] == colon,
               let key = try? JSONSerialization.jsonObject(with: Data(json[start...index]), options: .fragmentsAllowed) as? String {
                keys.append((key, start))
            }
        case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
        case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
        default: break
        }
        index += 1
    }
    return keys
}
