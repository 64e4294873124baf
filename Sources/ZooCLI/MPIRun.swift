import ArgumentParser
import Foundation
import ZooCore
import ZooDistributed

/// Runs `body` with the MPI world when an MPI launcher (mpirun, srun) started this process, else with nil
/// and without touching MPI. Under several ranks a failure on any rank is printed with its rank and host
/// and ends the whole job with status 1 (MPI_Abort), so no rank waits forever in a sum.
func withMPIWhenLaunched(_ body: (Communicator?) throws -> Void) throws {
    guard let launch = MPILaunch.detect(ProcessInfo.processInfo.environment) else { return try body(nil) }
    let communicator = try Communicator(launch: launch)
    defer { communicator.finish() }
    guard communicator.workers > 1 else { return try body(communicator) }
    do {
        try body(communicator)
    } catch let error as ZooError {
        communicator.abort(reporting: error.description)
    } catch let error as ExitCode where error != .success {
        communicator.abort(reporting: "error: stopped with exit status \(error.rawValue)")
    } catch let error as ExitCode {
        throw error
    } catch {
        communicator.abort(reporting: "error: \(error)")
    }
}
