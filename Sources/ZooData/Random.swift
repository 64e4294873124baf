import ZooFoundation

/// The data pipeline's random streams, keyed by (seed, epoch, position), so a resumed or
/// multi-threaded run draws exactly the same numbers.
extension SeededRandom {
    init(keys: UInt64...) { self.init(seed: 0x243F_6A88_85A3_08D3, streams: keys) }

    /// A Fisher-Yates shuffle of 0..<count drawn from this stream.
    mutating func permutation(of count: Int) -> [Int32] {
        var indices = (0 ..< Int32(count)).map { $0 }
        for index in stride(from: count - 1, to: 0, by: -1) {
            indices.swapAt(index, below(index + 1))
        }
        return indices
    }
}
