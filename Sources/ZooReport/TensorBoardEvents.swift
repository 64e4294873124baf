import Foundation
import ZooFoundation

/// A TensorBoard event file (`events.out.tfevents.*`): TFRecord frames, each an `Event` protobuf holding one
/// scalar. Field numbers from tensorboard 2.21's `event.proto` and `summary.proto`:
/// Event {wall_time = 1 (double), step = 2 (int64), file_version = 3, summary = 5},
/// Summary {value = 1}, Summary.Value {tag = 1, simple_value = 2 (float)}.
/// Records are appended as they come, as TensorBoard expects; its reader waits for a record to be whole.
public final class TensorBoardEventWriter {
    public let path: String
    private let handle: FileHandle

    /// Creates a new event file in `directory` (which must exist), named like PyTorch's SummaryWriter names them.
    public init(directory: String) throws {
        let wallTime = Date().timeIntervalSince1970
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        let name = "events.out.tfevents.\(Int(wallTime)).\(host).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max))"
        path = (directory as NSString).appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ZooError("cannot create the TensorBoard event file", place: path, hint: "check that the run folder is writable")
        }
        self.handle = handle
        var event = ProtobufMessage()
        event.double(1, wallTime)
        event.string(3, "brain.Event:2")
        try append(event)
    }

    deinit { try? handle.close() }

    /// One scalar at a global step, e.g. `train/loss`.
    public func scalar(_ tag: String, _ value: Double, step: Int) throws {
        var summaryValue = ProtobufMessage()
        summaryValue.string(1, tag)
        summaryValue.float(2, Float(value))
        var summary = ProtobufMessage()
        summary.message(1, summaryValue)
        var event = ProtobufMessage()
        event.double(1, Date().timeIntervalSince1970)
        event.int(2, Int64(step))
        event.message(5, summary)
        try append(event)
    }

    /// TFRecord framing: length (u64 LE), masked CRC-32C of the length, data, masked CRC-32C of the data.
    public static func record(_ data: [UInt8]) -> [UInt8] {
        var frame: [UInt8] = []
        frame.reserveCapacity(data.count + 16)
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { frame.append(contentsOf: $0) }
        withUnsafeBytes(of: CRC32C.masked(frame).littleEndian) { frame.append(contentsOf: $0) }
        frame.append(contentsOf: data)
        withUnsafeBytes(of: CRC32C.masked(data).littleEndian) { frame.append(contentsOf: $0) }
        return frame
    }

    private func append(_ event: ProtobufMessage) throws {
        do {
            // Unbuffered, so TensorBoard sees each record at once; no fsync per record, which would slow training.
            try handle.write(contentsOf: Self.record(event.bytes))
        } catch {
            throw ZooError("cannot append to the TensorBoard event file", place: path, hint: "check that the disk is not full")
        }
    }
}
