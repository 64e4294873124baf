import CMPI
import Foundation
import ZooCore

/// MPI's world communicator, owning MPI's lifetime: MPI_Init_thread when made, MPI_Finalize in `finish()`
/// (or `deinit`). Errors are returned rather than fatal (MPI_ERRORS_RETURN), and every return code goes
/// through `check`, which throws a message naming this rank and host.
public final class Communicator: DataParallelGroup {
    public private(set) var worker = 0
    public private(set) var workers = 1
    public private(set) var host = ProcessInfo.processInfo.hostName
    private var requests: [MPI_Request?] = []
    private var finalized = false

    public init(launch: MPILaunch) throws {
        var provided: Int32 = 0
        // Only the main thread calls MPI (the data loader's thread never does).
        try check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
        try check(MPI_Comm_set_errhandler(zoo_mpi_comm_world(), zoo_mpi_errors_return()), "MPI_Comm_set_errhandler")
        var rank: Int32 = 0, size: Int32 = 0
        try check(MPI_Comm_rank(zoo_mpi_comm_world(), &rank), "MPI_Comm_rank")
        try check(MPI_Comm_size(zoo_mpi_comm_world(), &size), "MPI_Comm_size")
        (worker, workers) = (Int(rank), Int(size))
        var name = [CChar](repeating: 0, count: Int(MPI_MAX_PROCESSOR_NAME) + 1)
        var length: Int32 = 0
        try check(MPI_Get_processor_name(&name, &length), "MPI_Get_processor_name")
        host = String(decoding: name.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if let processes = launch.processes, processes != workers {
            throw ZooError("\(launch.launcher) started \(processes) processes, but MPI sees a world of \(workers): zoo's MPI (Open MPI) does not speak this launcher's protocol, so every process would train alone",
                           hint: "under Slurm use `srun --mpi=pmix zoo …` (see `srun --mpi=list`), or `mpirun` from the same Open MPI zoo links")
        }
    }

    deinit { finish() }

    /// "rank 1 of 2 on node7"
    public var placeDescription: String { "rank \(worker) of \(workers) on \(host)" }

    /// Ends MPI cleanly; the process must not use MPI afterwards.
    public func finish() {
        guard !finalized else { return }
        finalized = true
        MPI_Finalize()
    }

    /// Prints `message` naming this rank and host, and ends every rank of the job with exit status 1
    /// (mpirun returns it), rather than leaving the others waiting in a sum that never completes.
    public func abort(reporting message: String) -> Never {
        FileHandle.standardError.write(Data("\(message)\n  (\(placeDescription); ending all \(workers) ranks)\n".utf8))
        MPI_Abort(zoo_mpi_comm_world(), 1)
        exit(1)
    }

    private func check(_ code: Int32, _ function: String) throws {
        guard code != MPI_SUCCESS else { return }
        var text = [CChar](repeating: 0, count: Int(MPI_MAX_ERROR_STRING) + 1)
        var length: Int32 = 0
        let described = MPI_Error_string(code, &text, &length) == MPI_SUCCESS
            ? String(decoding: text.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : "error code \(code)"
        throw ZooError("\(function) failed on \(placeDescription): \(described)",
                       hint: "another rank has probably failed or been killed; look for its message, and check the network between the hosts")
    }

    private func count(_ elements: Int, _ function: String) throws -> Int32 {
        guard let count = Int32(exactly: elements) else {
            throw ZooError("\(function) of \(elements) values is more than MPI's limit of \(Int32.max) per call")
        }
        return count
    }

    public func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
        try check(MPI_Allreduce(zoo_mpi_in_place(), values.baseAddress, try count(values.count, "MPI_Allreduce"), zoo_mpi_double(),
                                zoo_mpi_sum(), zoo_mpi_comm_world()), "MPI_Allreduce")
    }

    public func startSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
        var request: MPI_Request?
        try check(MPI_Iallreduce(zoo_mpi_in_place(), values.baseAddress, try count(values.count, "MPI_Iallreduce"), zoo_mpi_float(),
                                 zoo_mpi_sum(), zoo_mpi_comm_world(), &request), "MPI_Iallreduce")
        requests.append(request)
    }

    public func advanceSums() throws {
        guard !requests.isEmpty else { return }
        var done: Int32 = 0
        try check(MPI_Testall(Int32(requests.count), &requests, &done, zoo_mpi_statuses_ignore()), "MPI_Testall")
    }

    public func finishSums() throws {
        defer { requests.removeAll(keepingCapacity: true) }
        guard !requests.isEmpty else { return }
        try check(MPI_Waitall(Int32(requests.count), &requests, zoo_mpi_statuses_ignore()), "MPI_Waitall")
    }

    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws {
        try check(MPI_Bcast(values.baseAddress, try count(values.count, "MPI_Bcast"), zoo_mpi_float(), 0, zoo_mpi_comm_world()), "MPI_Bcast")
    }

    /// Rank 0 reports a mismatch (naming the ranks and hosts that differ) and ends the job; the other ranks
    /// wait for that, so the message is printed once.
    public func requireAgreement(on fingerprint: UInt64, about subject: String, hint: String) throws {
        var everyone = [UInt64](repeating: 0, count: workers)
        var mine = fingerprint
        try check(MPI_Allgather(&mine, 1, zoo_mpi_uint64(), &everyone, 1, zoo_mpi_uint64(), zoo_mpi_comm_world()), "MPI_Allgather")
        guard everyone.contains(where: { $0 != everyone[0] }) else { return }
        let width = 256
        var name = Array(host.utf8.prefix(width - 1).map { CChar(bitPattern: $0) }) + [CChar](repeating: 0, count: width - min(host.utf8.count, width - 1))
        var hosts = [CChar](repeating: 0, count: width * workers)
        try check(MPI_Allgather(&name, Int32(width), zoo_mpi_char(), &hosts, Int32(width), zoo_mpi_char(), zoo_mpi_comm_world()), "MPI_Allgather")
        guard worker == 0 else {
            // Rank 0 never joins this barrier: it ends the job, which ends this process too.
            try check(MPI_Barrier(zoo_mpi_comm_world()), "MPI_Barrier")
            throw ZooError("rank 0 found ranks that disagree about \(subject)", hint: hint)
        }
        let hostNames = (0..<workers).map { rank in
            String(decoding: hosts[(rank * width)..<((rank + 1) * width)].prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        let differing = (1..<workers).filter { everyone[$0] != everyone[0] }.map { "rank \($0) on \(hostNames[$0])" }
        throw ZooError("\(differing.joined(separator: ", ")) \(differing.count == 1 ? "has" : "have") different \(subject) than rank 0 on \(hostNames[0]); the job is refused",
                       hint: hint)
    }
}
