import Foundation
import ZooCore

/// An advisory lock on a run folder while a run writes it: `zoo.lock` holds the writer's process id and host,
/// and a second run into the folder is refused with a message naming the first. A lock left by a run that was
/// killed (its process is gone, on this host) is stale and is taken over.
package final class RunFolderLock {
    package static let fileName = "zoo.lock"
    package let path: String
    package let folder: String
    private let owner: String

    package init(folder: String) throws {
        self.folder = folder
        path = (folder as NSString).appendingPathComponent(Self.fileName)
        let host = ProcessInfo.processInfo.hostName
        owner = "\(getpid()) \(host)\n"
        // The content is written to a private file first and linked into place, so a lock file is never seen half-written.
        let staging = (folder as NSString).appendingPathComponent(".\(Self.fileName).\(getpid()).tmp")
        try writeAtomically(owner, to: staging)
        defer { unlink(staging) }
        for _ in 0..<2 {
            if link(staging, path) == 0 { return }
            guard errno == EEXIST else { throw fileSystemError("create the lock file", path: path, code: errno) }
            let holder = ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(whereSeparator: \.isWhitespace)
            let pid = holder.first.flatMap { Int32($0) }
            let holderHost = holder.dropFirst().first.map(String.init) ?? "an unknown host"
            if let pid, holderHost == host, kill(pid, 0) != 0, errno == ESRCH {
                unlink(path)
                continue
            }
            throw ZooError("another zoo run (process \(pid.map(String.init) ?? "unknown") on \(holderHost)) is writing this run folder",
                           place: folder,
                           hint: "wait for it to finish or choose another --out; if that process is gone (say, on another machine), remove \(path)")
        }
        throw ZooError("cannot take over the stale lock file", place: path, hint: "remove it and try again")
    }

    /// Temporary files of atomic writes that a killed run left behind; holding the lock, no one else writes here.
    package func removeLeftoverTemporaryFiles() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix(".") && name.hasSuffix(".tmp") && !name.hasPrefix(".\(Self.fileName).") {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
    }

    deinit {
        // Only our own lock is removed; a run that took over a lock we lost keeps it.
        if (try? String(contentsOfFile: path, encoding: .utf8)) == owner { unlink(path) }
    }
}
