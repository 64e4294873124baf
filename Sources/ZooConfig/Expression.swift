import Foundation
import ZooCore

/// A plain (unquoted) word in a layer entry: a parameter reference such as `n_hidden`, or simple
/// whole-number arithmetic such as `2 * n_feature` or `(n_hidden + 1) / 2` (`+ - * /`, parentheses;
/// `/` must divide exactly). Nothing else is evaluated.
struct Expression {
    private enum Token: Equatable {
        case number(Int)
        case name(String)
        case symbol(Character)
    }

    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first == "_" || (first.properties.isAlphabetic && first.isASCII) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }

    /// True if the text looks like arithmetic or a name, so that it should be evaluated rather than
    /// reported as "not a number".
    static func looksLikeExpression(_ text: String) -> Bool {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-*/() ")
        return !text.isEmpty && text.allSatisfy { allowed.contains($0) } && text.contains { $0.isLetter || $0 == "_" }
    }

    /// Evaluates `text` with `lookup` resolving names; `fail` builds a located error.
    static func evaluate(_ text: String, lookup: (String) throws -> ArgumentValue,
                         fail: (String, String?) -> ZooError) throws -> ArgumentValue {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if isIdentifier(trimmed) { return try lookup(trimmed) }
        var tokens: [Token] = []
        var index = trimmed.startIndex
        while index < trimmed.endIndex {
            let character = trimmed[index]
            if character == " " { index = trimmed.index(after: index); continue }
            if character.isNumber {
                let digits = trimmed[index...].prefix { $0.isNumber }
                guard let number = Int(digits) else { throw fail("the number \(digits) is too large", nil) }
                tokens.append(.number(number))
                index = digits.endIndex
            } else if character.isLetter || character == "_" {
                let word = trimmed[index...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                tokens.append(.name(String(word)))
                index = word.endIndex
            } else if "+-*/()".contains(character) {
                tokens.append(.symbol(character))
                index = trimmed.index(after: index)
            } else {
                throw fail("`\(trimmed)` is not a number, a parameter name, or arithmetic on them", nil)
            }
        }
        var position = 0
        func peek() -> Token? { position < tokens.count ? tokens[position] : nil }
        func operand(_ value: ArgumentValue, _ name: String) throws -> Int {
            guard case .int(let number) = value else {
                throw fail("`\(name)` is \(value), but arithmetic in `\(trimmed)` needs whole numbers", nil)
            }
            return number
        }
        func primary() throws -> Int {
            guard let token = peek() else { throw fail("`\(trimmed)` ends too early", "complete the arithmetic, e.g. `2 * n_feature`") }
            position += 1
            switch token {
            case .number(let number): return number
            case .name(let name): return try operand(try lookup(name), name)
            case .symbol("("):
                let value = try sum()
                guard peek() == .symbol(")") else { throw fail("`\(trimmed)` has a `(` without a matching `)`", nil) }
                position += 1
                return value
            case .symbol("-"): return -(try primary())
            case .symbol(let symbol): throw fail("unexpected `\(symbol)` in `\(trimmed)`", nil)
            }
        }
        func product() throws -> Int {
            var value = try primary()
            while case .symbol(let symbol)? = peek(), symbol == "*" || symbol == "/" {
                position += 1
                let right = try primary()
                if symbol == "*" {
                    let (result, overflow) = value.multipliedReportingOverflow(by: right)
                    if overflow { throw fail("`\(trimmed)` is too large", nil) }
                    value = result
                } else {
                    guard right != 0 else { throw fail("`\(trimmed)` divides by zero", nil) }
                    guard value % right == 0 else {
                        throw fail("`\(trimmed)` is not a whole number (\(value) / \(right))", "sizes must divide exactly")
                    }
                    value /= right
                }
            }
            return value
        }
        func sum() throws -> Int {
            var value = try product()
            while case .symbol(let symbol)? = peek(), symbol == "+" || symbol == "-" {
                position += 1
                let right = try product()
                let (result, overflow) = symbol == "+" ? value.addingReportingOverflow(right) : value.subtractingReportingOverflow(right)
                if overflow { throw fail("`\(trimmed)` is too large", nil) }
                value = result
            }
            return value
        }
        let value = try sum()
        if position < tokens.count { throw fail("`\(trimmed)` is not valid arithmetic", "write e.g. `2 * n_feature` or `n_hidden + 1`") }
        return .int(value)
    }
}
