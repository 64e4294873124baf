import XCTest
@testable import ZooData

final class SHA256Tests: XCTestCase {
    // Test vectors from NIST FIPS 180-4 examples (SHA256.pdf, SHA2_Additional.pdf).
    func testNISTVectors() {
        XCTAssertEqual(SHA256.hex(of: []), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: [UInt8](repeating: 0x61, count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testChunkedUpdatesMatchOneShot() {
        let bytes = (0 ..< 1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var hash = SHA256()
        for size in [1, 63, 64, 65, 200, 607] {
            let start = [1, 63, 64, 65, 200, 607].prefix { $0 != size }.reduce(0, +)
            hash.update(Data(bytes[start ..< min(start + size, bytes.count)]))
        }
        XCTAssertEqual(hash.finalize(), SHA256.hex(of: bytes))
    }

    func testFileDigest() throws {
        let path = try temporaryFolder() + "/f"
        try write(Array("abc".utf8), to: path)
        XCTAssertEqual(try SHA256.hex(ofFile: path), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }
}
