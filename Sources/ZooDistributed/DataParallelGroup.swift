import ZooCore

/// The workers that train one model together, each on its share of every batch: MPI ranks (ZooDistributed)
/// or, later, threads of one process. Every worker makes the same calls in the same order.
public protocol DataParallelGroup: AnyObject {
    /// This worker's index, 0 ..< workers; worker 0 prints and writes files.
    var worker: Int { get }
    var workers: Int { get }
    /// Element-wise sum over all workers, in place (counts and loss sums).
    func sum(_ values: UnsafeMutableBufferPointer<Double>) throws
    /// Starts an element-wise sum over all workers, in place; `values` stays untouched until `finishSums()`.
    func startSum(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Lets started sums move on while this worker computes (MPI moves messages only inside its calls).
    func advanceSums() throws
    /// Waits for every started sum.
    func finishSums() throws
    /// Worker 0's values, copied to every worker.
    func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws
    /// Throws (on every worker) unless all workers pass the same `fingerprint` of `subject`.
    func requireAgreement(on fingerprint: UInt64, about subject: String, hint: String) throws
}

extension DataParallelGroup {
    public var share: BatchShare { BatchShare(worker: worker, workers: workers) }

    public func sum(_ values: [Double]) throws -> [Double] {
        var values = values
        try values.withUnsafeMutableBufferPointer { try sum($0) }
        return values
    }
}

/// FNV-1a over 64-bit words, for fingerprints that workers compare: stable across processes and machines
/// (Swift's `Hasher` is seeded per process), and quick enough for a whole executable.
public struct Fingerprint {
    public private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    public init() {}

    public mutating func add(_ bytes: UnsafeRawBufferPointer) {
        let words = bytes.count / 8
        for word in 0..<words { mix(bytes.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self)) }
        for byte in bytes[(words * 8)...] { mix(UInt64(byte)) }
        mix(UInt64(bytes.count))
    }

    private mutating func mix(_ word: UInt64) { value = (value ^ word) &* 0x0000_0100_0000_01B3 }

    public mutating func add(_ text: String) {
        var text = text
        text.withUTF8 { add(UnsafeRawBufferPointer($0)) }
    }

    public mutating func add(_ number: UInt64) { withUnsafeBytes(of: number.littleEndian) { add($0) } }
}
