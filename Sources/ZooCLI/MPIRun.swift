import ArgumentParser
import Foundation
import ZooConfig
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

extension Communicator {
    /// Refuses to start unless every rank runs the same zoo executable on the same `settings` (a resolved
    /// config, or bench's flags) and architecture: otherwise ranks would sum gradients of different models.
    func requireSameRun(settings: String, architecture: Architecture) throws {
        var fingerprint = Fingerprint()
        fingerprint.add(settings)
        fingerprint.add(architecture.text)
        try requireAgreement(on: fingerprint.value, about: "resolved configs or architectures",
                             hint: "give every rank the same config, --set flags and architecture files (a shared folder, or copies), and the same ZOO_PATH")
        try requireAgreement(on: try Self.executableFingerprint(), about: "zoo executables",
                             hint: "build zoo once and run that same binary on every host")
    }

    private static func executableFingerprint() throws -> UInt64 {
        let path = "/proc/self/exe"
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw ZooError("cannot read this zoo executable to compare it across ranks", place: path,
                           hint: "zoo under MPI needs Linux's /proc")
        }
        var fingerprint = Fingerprint()
        contents.withUnsafeBytes { fingerprint.add($0) }
        return fingerprint.value
    }
}
