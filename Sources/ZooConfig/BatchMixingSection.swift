import Yams
import ZooCore

extension TrainingConfig {
    /// The `dataset:` keys of MixUp and CutMix, which mix whole batches rather than transform an image.
    static let batchMixingKeys = ["mixup", "cutmix", "switch_prob"]

    /// `mixup: {alpha: 0.2}`, `cutmix: {alpha: 1.0}` and, with both, `switch_prob` (the chance of CutMix).
    static func readBatchMixing(_ dataset: SectionReader) throws -> BatchMixing? {
        func alpha(_ key: String) throws -> Double? {
            try dataset.section(key, allowed: ["alpha"], owner: "`\(key)`")?.number("alpha", default: 1, "greater than 0") { $0 > 0 }
        }
        let (mixup, cutmix) = (try alpha("mixup"), try alpha("cutmix"))
        if dataset.contains("switch_prob"), mixup == nil || cutmix == nil {
            throw dataset.fail("`switch_prob` chooses between mixup and cutmix, so it needs both", at: "switch_prob",
                               hint: "add `mixup: {alpha: 0.2}` and `cutmix: {alpha: 1.0}`, or remove `switch_prob`")
        }
        guard mixup != nil || cutmix != nil else { return nil }
        let switchProbability = try dataset.number("switch_prob", default: 0.5, "from 0 to 1") { (0...1).contains($0) }
        return BatchMixing(mixupAlpha: mixup, cutmixAlpha: cutmix, switchProbability: switchProbability)
    }
}

extension BatchMixing {
    /// Its `dataset:` entries in the resolved config.
    var written: [(key: String, value: ArgumentValue)] {
        var entries: [(key: String, value: ArgumentValue)] = []
        if let mixupAlpha { entries.append(("mixup", .mapping([("alpha", .double(mixupAlpha))]))) }
        if let cutmixAlpha { entries.append(("cutmix", .mapping([("alpha", .double(cutmixAlpha))]))) }
        if mixupAlpha != nil, cutmixAlpha != nil { entries.append(("switch_prob", .double(switchProbability))) }
        return entries
    }
}
