import Glibc
import XCTest
@testable import ZooCore

/// Swift passes split across cores: every index once, in chunks fixed by the count alone, on OpenMP's threads.
final class ParallelChunksTests: XCTestCase {
    func testEveryIndexIsVisitedOnceInItsChunk() {
        for count in [0, 1, 7, 8, 83] {
            var visits = [Int](repeating: 0, count: count)
            var chunkOf = [Int](repeating: -1, count: count)
            visits.withUnsafeMutableBufferPointer { visits in
                chunkOf.withUnsafeMutableBufferPointer { chunkOf in
                    forEachChunk(of: count, chunkSize: 8) { chunk, range in
                        for index in range { visits[index] += 1; chunkOf[index] = chunk }
                    }
                }
            }
            XCTAssertEqual(visits, [Int](repeating: 1, count: count), "count \(count)")
            XCTAssertEqual(chunkOf, (0..<count).map { $0 / 8 }, "count \(count)")
        }
    }

    /// Each part runs once, and on oneDNN's OpenMP team: with two or more threads, not all on the caller's.
    func testPartsRunOnceOnTheOpenMPTeam() throws {
        let parts = 9
        var runs = [Int](repeating: 0, count: parts)
        var threads = [pthread_t](repeating: pthread_self(), count: parts)
        let ran = runs.withUnsafeMutableBufferPointer { runs in
            threads.withUnsafeMutableBufferPointer { threads in
                OpenMPThreads.forEachPart(parts) { part in
                    runs[part] += 1
                    threads[part] = pthread_self()
                    usleep(2_000)
                }
            }
        }
        XCTAssertTrue(ran, "oneDNN's libgomp is in this process")
        XCTAssertEqual(runs, [Int](repeating: 1, count: parts))
        if OpenMPThreads.maximum > 1 {
            XCTAssertTrue(threads.contains { pthread_equal($0, pthread_self()) == 0 }, "some parts on another thread")
        }
    }
}
