/// SplitMix64 (one generator for weights, dropout and the data pipeline): small, fast, and a pure function of its seed, so runs repeat exactly.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one purpose (a layer, a step) that does not disturb any other stream.
    public init(seed: UInt64, streams: UInt64...) { self.init(seed: seed, streams: streams) }

    public init(seed: UInt64, streams: [UInt64]) {
        state = streams.reduce(seed) { SeededRandom.mix($0 ^ SeededRandom.mix($1 &+ 0x9E37_79B9_7F4A_7C15)) }
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SeededRandom.mix(state)
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 random bits, the resolution of a Float.
    public mutating func nextUnitFloat() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [0, 1) with 53 random bits, the resolution of a Double.
    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A number in 0..<bound (bound > 0), by multiply-high: unbiased enough for shuffles and crops,
    /// and, unlike the standard library's, fixed across Swift versions.
    public mutating func below(_ bound: Int) -> Int {
        Int(UInt64(bound).multipliedFullWidth(by: next()).high)
    }

    public mutating func uniform(_ bound: Float, count: Int) -> [Float] {
        (0..<count).map { _ in (nextUnitFloat() * 2 - 1) * bound }
    }
}
