import Dispatch

/// Splits 0..<count into fixed chunks run on all cores: on OpenMP's threads where there are some (oneDNN's,
/// see `OpenMPThreads.forEachPart`), else on Dispatch's. The chunking depends only on `count`, never on
/// timing, so per-chunk random streams stay reproducible.
package func forEachChunk(of count: Int, chunkSize: Int = 1 << 16, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let chunks = (count + chunkSize - 1) / chunkSize
    guard chunks > 1 else {
        if count > 0 { body(0, 0..<count) }
        return
    }
    let run = { (chunk: Int) in body(chunk, (chunk * chunkSize)..<min(count, (chunk + 1) * chunkSize)) }
    if OpenMPThreads.forEachPart(chunks, run) { return }
    withoutActuallyEscaping(run) { run in
        let shared = ChunkBody(run: run)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in shared.run(chunk) }
    }
}

/// `forEachChunk`'s body, shared by the threads of one `concurrentPerform`.
private struct ChunkBody: @unchecked Sendable {
    // Sendable by hand: each call writes only inside its own chunk's range, and `forEachChunk` waits for all.
    let run: (_ chunk: Int) -> Void
}
