import Foundation

/// How much memory zoo may allocate (by default half of physical memory), and the one counter every
/// oneDNN buffer (`Memory`: parameters, activations, scratchpads) is charged to; ZooCore adds what a
/// network needs at a batch size. Sizes are computed saturating at `Int.max`, so an absurd network fails the check
/// instead of overflowing.
public enum MemoryBudget {
    private struct State {
        var limit = defaultLimit
        var limitOrigin = defaultOrigin
        var reserved = 0
    }
    private static let state = Locked(State())

    public static let physicalMemory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    public static let defaultLimit = physicalMemory / 2
    private static let defaultOrigin = "half of this machine's \(byteSize(physicalMemory)), the default"

    public static var limitBytes: Int { state.withLock { $0.limit } }
    public static var reservedBytes: Int { state.withLock { $0.reserved } }
    /// The limit, what is reserved and where the limit came from, read together.
    package static var current: (limit: Int, reserved: Int, limitOrigin: String) { state.withLock { ($0.limit, $0.reserved, $0.limitOrigin) } }

    /// Sets the budget; `origin` says where it came from, for error messages ("--max-memory 4GB").
    public static func setLimit(_ bytes: Int, origin: String) {
        state.withLock { state in
            state.limit = bytes
            state.limitOrigin = origin
        }
    }

    public static func resetLimit() { setLimit(defaultLimit, origin: defaultOrigin) }

    /// "8GB", "512MB", "2G", "1500000000" (bytes) or "75%" (of physical memory).
    public static func parse(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(suffix: String, scale: Double)] = [("%", Double(physicalMemory) / 100), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3),
                                                        ("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3), ("B", 1)]
        let unit = units.first { trimmed.hasSuffix($0.suffix) } ?? ("", 1)
        guard let number = Double(trimmed.dropLast(unit.suffix.count).trimmingCharacters(in: .whitespaces)), number.isFinite, number > 0,
              number * unit.scale >= 1_000_000, number * unit.scale < 9e18 else {
            throw ZooError("--max-memory must be a size such as 4GB, 512MB or 75% (of this machine's \(byteSize(physicalMemory))), "
                           + "at least 1MB, not `\(text)`")
        }
        return Int(number * unit.scale)
    }

    /// Every `Memory` buffer is charged here before it is allocated.
    package static func reserve(_ bytes: Int) throws {
        try state.withLock { state in
            let (total, overflow) = state.reserved.addingReportingOverflow(bytes)
            guard !overflow, total <= state.limit else {
                throw ZooError("allocating another \(byteSize(bytes)) would take zoo past its memory budget of \(byteSize(state.limit)) "
                               + "(\(state.limitOrigin)); \(byteSize(state.reserved)) is already in use",
                               hint: advice)
            }
            state.reserved = total
        }
    }

    package static func release(_ bytes: Int) { state.withLock { $0.reserved -= bytes } }

    package static let advice = "use a smaller batch size, fewer channels or smaller layers, or raise the budget with --max-memory (such as --max-memory 16GB)"

    /// A parameter's element count, refused before its initial values are drawn when its values, gradient
    /// and optimizer state (4 floats per element) could not fit in what is left of the budget.
    package static func checkParameterTensor(name: String, shape: [Int]) throws -> Int {
        let count = saturatingProduct(shape)
        let bytes = saturatingProduct([count, 4 * MemoryLayout<Float>.size])
        let (limit, reserved, limitOrigin) = current
        guard bytes <= limit - reserved else {
            throw ZooError("its \(name) of shape \(shape.map(String.init).joined(separator: "x")) has \(grouped(count)) values, "
                           + "\(approximately(bytes)) with its gradient and optimizer state, more than the memory budget of \(byteSize(limit)) "
                           + "(\(limitOrigin)) leaves", hint: "use fewer channels, features or a smaller kernel, or raise the budget with --max-memory")
        }
        return count
    }
}
