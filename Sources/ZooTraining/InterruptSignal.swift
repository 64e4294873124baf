import Foundation

/// Ctrl-C (SIGINT) or SIGTERM (what Slurm, `timeout` and `kill` send) during training: the first lets the
/// current step finish and a checkpoint be written, then zoo exits with 128 + the signal's number
/// (130, 143), as a shell reports a process killed by it; a second signal exits at once.
public enum InterruptSignal {
    // Safe as C's rule for a handler's flag: only the handler writes it, one sig_atomic_t (Atomic needs macOS 15).
    nonisolated(unsafe) private static var received: sig_atomic_t = 0

    public static var requested: Bool { received != 0 }

    /// 130 after Ctrl-C, 143 after SIGTERM.
    public static var exitStatus: Int32 { 128 + Int32(received) }

    public static func install() {
        for number in [SIGINT, SIGTERM] {
            signal(number) { number in
                if InterruptSignal.received != 0 { _exit(128 + number) }
                InterruptSignal.received = sig_atomic_t(number)
            }
        }
    }
}
