import Foundation

/// SHA-256 (FIPS 180-4), small and self-contained to keep builds free of a crypto dependency.
struct SHA256 {
    private static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    private var state: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    /// Bytes not yet making a whole 64-byte block.
    private var pending: [UInt8] = []
    private var totalBytes: UInt64 = 0
    private var schedule = [UInt32](repeating: 0, count: 64)

    init() {}

    mutating func update(_ data: Data) {
        totalBytes &+= UInt64(data.count)
        absorb(data)
    }

    private mutating func absorb(_ data: Data) {
        data.withUnsafeBytes { bytes in
            var start = 0
            // Top up a partial block, then hash whole blocks straight from the data.
            if !pending.isEmpty {
                let take = min(64 - pending.count, bytes.count)
                pending.append(contentsOf: bytes[0 ..< take])
                start = take
                if pending.count == 64 {
                    let block = pending
                    block.withUnsafeBytes { compress($0) }
                    pending.removeAll(keepingCapacity: true)
                }
            }
            while bytes.count - start >= 64 {
                compress(UnsafeRawBufferPointer(rebasing: bytes[start ..< start + 64]))
                start += 64
            }
            pending.append(contentsOf: bytes[start...])
        }
    }

    /// The digest as lowercase hex.
    mutating func finalize() -> String {
        let bitLength = totalBytes &* 8
        var padding: [UInt8] = [0x80]
        padding += [UInt8](repeating: 0, count: (119 - pending.count) % 64)
        padding += (0 ..< 8).map { UInt8(truncatingIfNeeded: bitLength >> (56 - 8 * $0)) }
        absorb(Data(padding))
        return state.map { String(format: "%08x", $0) }.joined()
    }

    static func hex(of bytes: [UInt8]) -> String {
        var hash = SHA256()
        hash.update(Data(bytes))
        return hash.finalize()
    }

    /// The digest of a file, read in chunks.
    static func hex(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Gzip.unreadable(path) }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(chunk) }
        return hash.finalize()
    }

    private mutating func compress(_ block: UnsafeRawBufferPointer) {
        for word in 0 ..< 16 {
            let index = 4 * word
            schedule[word] = UInt32(block[index]) << 24 | UInt32(block[index + 1]) << 16 | UInt32(block[index + 2]) << 8
                | UInt32(block[index + 3])
        }
        for word in 16 ..< 64 {
            let s0 = rotate(schedule[word - 15], 7) ^ rotate(schedule[word - 15], 18) ^ (schedule[word - 15] >> 3)
            let s1 = rotate(schedule[word - 2], 17) ^ rotate(schedule[word - 2], 19) ^ (schedule[word - 2] >> 10)
            schedule[word] = schedule[word - 16] &+ s0 &+ schedule[word - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, h) = (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7])
        for round in 0 ..< 64 {
            let s1 = rotate(e, 6) ^ rotate(e, 11) ^ rotate(e, 25)
            let choice = (e & f) ^ (~e & g)
            let temp1 = h &+ s1 &+ choice &+ Self.roundConstants[round] &+ schedule[round]
            let s0 = rotate(a, 2) ^ rotate(a, 13) ^ rotate(a, 22)
            let majority = (a & b) ^ (a & c) ^ (b & c)
            (h, g, f, e, d, c, b, a) = (g, f, e, d &+ temp1, c, b, a, temp1 &+ s0 &+ majority)
        }
        for (offset, value) in [a, b, c, d, e, f, g, h].enumerated() { state[offset] = state[offset] &+ value }
    }

    private func rotate(_ value: UInt32, _ amount: UInt32) -> UInt32 {
        value >> amount | value << (32 - amount)
    }
}
