/// SplitMix64: small, fast, and fully determined by its state, so each random stream can be keyed by
/// (seed, epoch, position) and a resumed or multi-threaded run draws exactly the same numbers.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    /// A stream keyed by several values; different keys give unrelated streams.
    init(keys: UInt64...) {
        state = keys.reduce(0x243F_6A88_85A3_08D3) { Self.mix($0 ^ Self.mix($1 &+ 0x9E37_79B9_7F4A_7C15)) }
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A number in 0..<bound (bound > 0), by multiply-high: unbiased enough for shuffles and crops,
    /// and, unlike the standard library's, fixed across Swift versions.
    mutating func below(_ bound: Int) -> Int {
        Int(UInt64(bound).multipliedFullWidth(by: next()).high)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A Fisher-Yates shuffle of 0..<count drawn from this stream.
    mutating func permutation(of count: Int) -> [Int32] {
        var indices = (0 ..< Int32(count)).map { $0 }
        for index in stride(from: count - 1, to: 0, by: -1) {
            indices.swapAt(index, below(index + 1))
        }
        return indices
    }
}
