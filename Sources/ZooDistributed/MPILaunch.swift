/// How this process was started, read from the environment its launcher sets: `mpirun` (Open MPI),
/// `srun` (Slurm) or another PMIx launcher. Without one, zoo never calls MPI_Init and needs no MPI daemon.
public struct MPILaunch: Equatable, Sendable {
    public init(launcher: String, processes: Int?) {
        self.launcher = launcher
        self.processes = processes
    }

    public let launcher: String
    /// The number of processes the launcher says it started, when it says.
    public let processes: Int?

    public static func detect(_ environment: [String: String]) -> MPILaunch? {
        if let size = environment["OMPI_COMM_WORLD_SIZE"] {
            return MPILaunch(launcher: "mpirun", processes: Int(size))
        }
        // A Slurm batch script also has SLURM_PROCID; only a job step started by srun has SLURM_STEP_ID.
        if environment["SLURM_STEP_ID"] != nil, environment["SLURM_PROCID"] != nil {
            return MPILaunch(launcher: "srun", processes: (environment["SLURM_STEP_NUM_TASKS"] ?? environment["SLURM_NTASKS"]).flatMap { Int($0) })
        }
        if environment["PMIX_RANK"] != nil { return MPILaunch(launcher: "a PMIx launcher", processes: nil) }
        return nil
    }
}
