import Foundation
import ZooConfig
import ZooCore

/// Training that stays finite yet learns nothing (a learning rate far too high, softmax applied twice)
/// ends at chance with exit status 0; these warnings say so and name the setting to change.
package enum LearningCheck {
    /// Test accuracy this close to chance (in accuracy, 0.01 = one point) counts as chance.
    package static let chanceMargin = 0.01

    /// After an epoch: a warning when the training loss is no better than chance (ln of the class count,
    /// for the log-likelihood losses) or the test accuracy is within a point of chance.
    package static func epochWarning(trainLoss: Double, testAccuracy: Double, classes: Int, loss: Loss, config: TrainingConfig) -> String? {
        guard classes > 1 else { return nil }
        let chanceLoss = log(Double(classes)), chanceAccuracy = 1 / Double(classes)
        let symptom: String
        if loss != .mse, !(trainLoss < chanceLoss) {
            symptom = String(format: "the training loss %.4g is no better than chance (ln %d = %.4f)", trainLoss, classes, chanceLoss)
        } else if abs(testAccuracy - chanceAccuracy) <= chanceMargin {
            symptom = String(format: "the test accuracy %.2f%% is within a point of chance (%.2f%%)", testAccuracy * 100, chanceAccuracy * 100)
        } else {
            return nil
        }
        return "\(symptom): the model is not learning; " + likelyCause(config)
    }

    /// The learning rate when it is above the optimizer's default, else the model and data.
    private static func likelyCause(_ config: TrainingConfig) -> String {
        let name = config.optimizer.name.rawValue
        let rate = config.optimizer.learningRate
        if let type = OptimizerRegistry.type(named: name),
           let defaultRate = try? type.read(ArgumentReader([:], owner: name), named: true).learningRate, rate > defaultRate {
            return "--lr \(number(rate)) is probably too high for \(name); try \(number(defaultRate)) (optimizer.lr in a config)"
        }
        return "check the model's last layer and the loss, and that the labels match the images; lr \(number(rate)) may also be too low"
    }

    /// At build time: a network ending in `softmax` trained with cross-entropy, which applies softmax itself.
    package static func buildWarning(network: Network, loss: Loss) -> String? {
        guard loss == .crossEntropy, network.entries.last?.description.type == Softmax.typeName else { return nil }
        return "the network ends in `softmax` and the loss is cross_entropy, which applies softmax itself, so softmax is applied twice "
            + "and training stalls; end the network with `log_softmax` instead (the loss becomes nll), or remove the `softmax`"
    }

    private static func number(_ value: Double) -> String { String(format: "%g", value) }
}
