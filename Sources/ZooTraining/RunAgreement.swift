import Foundation
import ZooConfig
import ZooCore
import ZooDistributed

extension Communicator {
    /// Refuses to start unless every rank runs the same zoo executable on the same `settings` (a resolved
    /// config, or bench's flags) and architecture: otherwise ranks would sum gradients of different models.
    public func requireSameRun(settings: String, architecture: Architecture) throws {
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
