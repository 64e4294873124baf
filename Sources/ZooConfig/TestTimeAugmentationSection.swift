import Yams
import ZooCore

extension TrainingConfig {
    /// `tta: [hflip, translate]`: the views whose mean softmax scores each test image.
    static func readTestTimeAugmentation(_ field: ConfigField, _ reader: ConfigReader) throws -> TestTimeAugmentation? {
        var views: [TestTimeAugmentation.View] = []
        for entry in try reader.list(field) {
            let view: TestTimeAugmentation.View = try reader.choice(entry, what: "tta view")
            guard !views.contains(view) else { throw reader.fail("`tta` lists `\(view.rawValue)` twice", at: entry) }
            views.append(view)
        }
        return views.isEmpty ? nil : TestTimeAugmentation(views: views)
    }
}
