import XCTest
import ZooDistributed

final class MPILaunchTests: XCTestCase {
    func testLaunchersAreRecognisedFromTheirEnvironment() {
        XCTAssertNil(MPILaunch.detect([:]))
        XCTAssertNil(MPILaunch.detect(["PATH": "/usr/bin", "HOME": "/root"]))
        XCTAssertEqual(MPILaunch.detect(["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"]),
                       MPILaunch(launcher: "mpirun", processes: 2))
        XCTAssertEqual(MPILaunch.detect(["SLURM_STEP_ID": "0", "SLURM_PROCID": "3", "SLURM_STEP_NUM_TASKS": "8", "SLURM_NTASKS": "16"]),
                       MPILaunch(launcher: "srun", processes: 8))
        XCTAssertEqual(MPILaunch.detect(["SLURM_STEP_ID": "0", "SLURM_PROCID": "3", "SLURM_NTASKS": "4"]),
                       MPILaunch(launcher: "srun", processes: 4))
        XCTAssertEqual(MPILaunch.detect(["PMIX_RANK": "0"]), MPILaunch(launcher: "a PMIx launcher", processes: nil))
    }

    func testASlurmBatchScriptWithoutSrunIsNotALaunch() {
        // `zoo train` typed straight into an sbatch script: one process, so MPI must stay out of it.
        XCTAssertNil(MPILaunch.detect(["SLURM_JOB_ID": "42", "SLURM_PROCID": "0", "SLURM_NTASKS": "4"]))
    }
}
