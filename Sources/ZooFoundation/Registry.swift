/// The registered types of one kind (layers, optimizers, schedules, transforms, datasets): the built-ins, then
/// any a library user registers. Shared by every thread, so reads and registrations go through one lock.
public final class Registry<Entry: Sendable>: Sendable {
    private let entries: Locked<[Entry]>

    public init(_ builtIns: [Entry]) { entries = Locked(builtIns) }

    /// Every entry, built-ins first, in registration order.
    public var all: [Entry] { entries.withLock { $0 } }

    public func register(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    /// Takes back the entries `matches` picks, e.g. a test's throwaway type.
    public func unregister(where matches: (Entry) -> Bool) { entries.withLock { $0.removeAll(where: matches) } }
}
