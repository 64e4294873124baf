import Foundation

/// A value shared between threads, read and changed only under its lock.
package final class Locked<Value> {
    private let lock = NSLock()
    private var value: Value

    package init(_ value: Value) { self.value = value }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try lock.withLock { try body(&value) }
    }
}

// Sendable by hand: `value` is reached only inside `withLock`, which holds `lock`.
extension Locked: @unchecked Sendable where Value: Sendable {}
