import ZooCore
/// Image transforms, applied in order to each image's bytes before normalisation,
/// so padding is zero in pixel space (as in torchvision's Pad/RandomCrop before Normalize).
public enum Transform: Sendable, Equatable, Codable {
    /// Zero-pad, centred, to at least N x N (LeNet's 32x32 input from 28x28 digits).
    case padTo(Int)
    /// Zero-pad by `padding` on every side, then crop `size` x `size` at a random place.
    case randomCrop(size: Int, padding: Int)
    /// Mirror left-right with probability 0.5.
    case horizontalFlip
    /// Reorder the H*W pixel positions by one fixed permutation drawn from `seed` (the same for every image).
    case permutePixels(seed: UInt64)
}

struct ImageShape: Equatable {
    var channels, height, width: Int

    var pixelCount: Int { height * width }
    var byteCount: Int { channels * height * width }

    func after(_ transform: Transform) -> ImageShape {
        var shape = self
        switch transform {
        case .padTo(let size):
            shape.height = max(height, size)
            shape.width = max(width, size)
        case .randomCrop(let size, let padding):
            // A crop larger than the padded image takes all of it.
            let padding = max(padding, 0)
            shape.height = min(max(size, 1), height + 2 * padding)
            shape.width = min(max(size, 1), width + 2 * padding)
        case .horizontalFlip, .permutePixels:
            break
        }
        return shape
    }

    func after(_ transforms: [Transform]) -> ImageShape {
        transforms.reduce(self) { $0.after($1) }
    }

    /// Sides above this are refused before any arithmetic on them, so sums and products cannot overflow.
    static let maximumSide = 1 << 16

    /// Bytes of one image after `transforms`, the sizes on the way checked against `maximumSide` and overflow.
    static func checkedByteCount(of shape: ImageShape, after transforms: [Transform]) throws -> Int {
        func checkedSide(_ side: Int, _ what: String) throws {
            guard (0...maximumSide).contains(side) else {
                throw ZooError("\(what) \(side) is outside 0...\(maximumSide)", hint: "use an image size or padding of at most \(maximumSide)")
            }
        }
        try checkedSide(shape.height, "image height")
        try checkedSide(shape.width, "image width")
        try checkedSide(shape.channels, "channel count")
        var current = shape
        for transform in transforms {
            switch transform {
            case .padTo(let size): try checkedSide(size, "pad_to size")
            case .randomCrop(let size, let padding):
                try checkedSide(size, "random_crop size")
                try checkedSide(padding, "random_crop padding")
            case .horizontalFlip, .permutePixels: break
            }
            current = current.after(transform)
            try checkedSide(current.height, "image height")
            try checkedSide(current.width, "image width")
        }
        return current.byteCount
    }
}

/// Transforms prepared for one input shape: permutation tables drawn once, shapes worked out.
struct ImagePipeline: Sendable {
    private enum Step: Sendable {
        /// output(y, x) = input(y + rowShift, x + columnShift), zero outside the input.
        case shift(rowShift: Int, columnShift: Int)
        /// Shift by a random amount in 0...range, less the padding.
        case randomCrop(padding: Int, rowRange: Int, columnRange: Int)
        case horizontalFlip
        /// output[position] = input[table[position]] in every channel.
        case permute(table: [Int32])
    }

    private let steps: [(step: Step, input: ImageShape, output: ImageShape)]
    let input: ImageShape
    let output: ImageShape
    var isIdentity: Bool { steps.isEmpty }

    init(input: ImageShape, transforms: [Transform]) {
        var shape = input
        var steps: [(Step, ImageShape, ImageShape)] = []
        for transform in transforms {
            let next = shape.after(transform)
            switch transform {
            case .padTo:
                steps.append((.shift(rowShift: -(next.height - shape.height) / 2, columnShift: -(next.width - shape.width) / 2),
                              shape, next))
            case .randomCrop(_, let padding):
                let padding = max(padding, 0)
                steps.append((.randomCrop(padding: padding, rowRange: shape.height + 2 * padding - next.height,
                                          columnRange: shape.width + 2 * padding - next.width), shape, next))
            case .horizontalFlip:
                steps.append((.horizontalFlip, shape, next))
            case .permutePixels(let seed):
                var generator = SeededRandom(keys: seed)
                steps.append((.permute(table: generator.permutation(of: shape.pixelCount)), shape, next))
            }
            shape = next
        }
        self.steps = steps
        self.input = input
        self.output = shape
    }

    /// Bytes needed by each of the two scratch buffers `apply` works in.
    var scratchCount: Int { steps.map(\.output.byteCount).max() ?? 0 }

    /// Runs the steps from `source` through the scratch buffers; returns the buffer holding the result
    /// (`source` itself when there are no steps). Random choices come from `generator`, in step order.
    func apply(_ source: UnsafeBufferPointer<UInt8>, scratch: (UnsafeMutableBufferPointer<UInt8>, UnsafeMutableBufferPointer<UInt8>),
               generator: inout SeededRandom) -> UnsafeBufferPointer<UInt8> {
        var current = source
        for (index, entry) in steps.enumerated() {
            let target = index % 2 == 0 ? scratch.0 : scratch.1
            switch entry.step {
            case .shift(let rowShift, let columnShift):
                Self.shift(current, entry.input, into: target, entry.output, rowShift: rowShift, columnShift: columnShift)
            case .randomCrop(let padding, let rowRange, let columnRange):
                let rowShift = generator.below(rowRange + 1) - padding
                let columnShift = generator.below(columnRange + 1) - padding
                Self.shift(current, entry.input, into: target, entry.output, rowShift: rowShift, columnShift: columnShift)
            case .horizontalFlip:
                let flip = generator.next() & 1 == 1
                let shape = entry.input
                for row in 0 ..< shape.channels * shape.height {
                    let start = row * shape.width
                    for column in 0 ..< shape.width {
                        target[start + column] = current[start + (flip ? shape.width - 1 - column : column)]
                    }
                }
            case .permute(let table):
                let shape = entry.input
                for channel in 0 ..< shape.channels {
                    let start = channel * shape.pixelCount
                    for position in 0 ..< shape.pixelCount {
                        target[start + position] = current[start + Int(table[position])]
                    }
                }
            }
            current = UnsafeBufferPointer(target)
        }
        return current
    }

    private static func shift(_ source: UnsafeBufferPointer<UInt8>, _ input: ImageShape, into target: UnsafeMutableBufferPointer<UInt8>,
                              _ output: ImageShape, rowShift: Int, columnShift: Int) {
        // Columns of the output row that fall inside the input; the rest are zero.
        let firstColumn = min(max(-columnShift, 0), output.width)
        let endColumn = max(min(input.width - columnShift, output.width), firstColumn)
        for channel in 0 ..< output.channels {
            for row in 0 ..< output.height {
                let targetStart = (channel * output.height + row) * output.width
                let sourceRow = row + rowShift
                guard sourceRow >= 0, sourceRow < input.height else {
                    for column in 0 ..< output.width { target[targetStart + column] = 0 }
                    continue
                }
                let sourceStart = (channel * input.height + sourceRow) * input.width + columnShift
                for column in 0 ..< firstColumn { target[targetStart + column] = 0 }
                for column in firstColumn ..< endColumn { target[targetStart + column] = source[sourceStart + column] }
                for column in endColumn ..< output.width { target[targetStart + column] = 0 }
            }
        }
    }
}
