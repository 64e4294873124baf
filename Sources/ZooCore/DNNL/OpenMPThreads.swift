import Glibc

/// The OpenMP runtime oneDNN threads with (Debian's oneDNN is built with libgomp), looked up at run time:
/// its thread count is a per-thread setting, so a thread can run oneDNN's kernels single-threaded while
/// another does the same on the other core.
package enum OpenMPThreads {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias GetThreads = @convention(c) () -> Int32

    private static let setThreads: SetThreads? = dlsym(dlopen(nil, RTLD_NOW), "omp_set_num_threads").map { unsafeBitCast($0, to: SetThreads.self) }
    private static let getThreads: GetThreads? = dlsym(dlopen(nil, RTLD_NOW), "omp_get_max_threads").map { unsafeBitCast($0, to: GetThreads.self) }

    /// The threads oneDNN uses on this thread: OMP_NUM_THREADS, else one per core.
    package static var maximum: Int { Int(getThreads?() ?? 1) }

    /// Runs `body` with oneDNN's kernels single-threaded on the calling thread, then restores the count.
    /// Primitives must also be created this way: oneDNN sizes a kernel's work split by the thread count then.
    package static func single<Result>(_ body: () throws -> Result) rethrows -> Result {
        guard let setThreads, let getThreads else { return try body() }
        let previous = getThreads()
        setThreads(1)
        defer { setThreads(previous) }
        return try body()
    }
}
