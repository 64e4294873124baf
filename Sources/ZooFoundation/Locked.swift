import Synchronization

/// A value shared between threads, read and changed only under its lock: a `Mutex` that can be shared by
/// reference (a `Mutex` itself cannot be copied into the closures that hand it to other threads).
package final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    package init(_ value: Value) { mutex = Mutex(value) }

    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }
}
