import ZooData

extension Transform {
    /// Random transforms are for training only; the test set gets the deterministic ones (padding, permutation).
    var isDeterministic: Bool {
        switch self {
        case .padTo, .permutePixels: return true
        case .randomCrop, .horizontalFlip: return false
        }
    }
}
