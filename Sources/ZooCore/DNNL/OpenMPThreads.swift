import Glibc

/// The OpenMP runtime oneDNN threads with (Debian's oneDNN is built with libgomp), looked up at run time:
/// its thread count is a per-thread setting, so a thread can run oneDNN's kernels single-threaded while
/// another does the same on the other core.
package enum OpenMPThreads {
    private typealias SetThreads = @convention(c) (Int32) -> Void
    private typealias GetThreads = @convention(c) () -> Int32
    private typealias Task = @convention(c) (UnsafeMutableRawPointer?) -> Void
    /// libgomp's entry for `#pragma omp parallel`: runs the task once on each thread of a new team.
    private typealias Parallel = @convention(c) (Task, UnsafeMutableRawPointer?, UInt32, UInt32) -> Void

    private static func symbol<Function>(_ name: String, as type: Function.Type) -> Function? {
        dlsym(dlopen(nil, RTLD_NOW), name).map { unsafeBitCast($0, to: type) }
    }

    private static let setThreads = symbol("omp_set_num_threads", as: SetThreads.self)
    private static let getThreads = symbol("omp_get_max_threads", as: GetThreads.self)
    private static let parallel = symbol("GOMP_parallel", as: Parallel.self)
    private static let threadNumber = symbol("omp_get_thread_num", as: GetThreads.self)
    private static let teamSize = symbol("omp_get_num_threads", as: GetThreads.self)

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

    /// Runs `body(part)` for each part in 0..<parts on OpenMP's threads, the ones oneDNN's kernels run on: between
    /// primitives they spin, waiting for work, so Swift code run on other threads would share a core with a
    /// spinning one (a max pooling split that way ran no faster than on one core). Returns false, having run
    /// nothing, where this process has no OpenMP runtime.
    package static func forEachPart(_ parts: Int, _ body: (Int) -> Void) -> Bool {
        guard let parallel, threadNumber != nil, teamSize != nil else { return false }
        withoutActuallyEscaping(body) { body in
            var team = Team(parts: parts, body: body)
            withUnsafeMutablePointer(to: &team) { team in
                parallel(runTeamMember, UnsafeMutableRawPointer(team), UInt32(clamping: min(parts, maximum)), 0)
            }
        }
        return true
    }

    private struct Team {
        let parts: Int
        let body: (Int) -> Void
    }

    /// One team member's share: every team-size-th part from its own number (the team may be smaller than asked).
    private static let runTeamMember: Task = { context in
        let team = context!.assumingMemoryBound(to: Team.self).pointee
        for part in stride(from: Int(threadNumber!()), to: team.parts, by: max(Int(teamSize!()), 1)) { team.body(part) }
    }
}
