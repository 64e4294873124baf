import Foundation

/// "1,199,882"
func grouped(_ number: Int) -> String {
    let digits = String(number.magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
        result.append(character)
    }
    return (number < 0 ? "-" : "") + result
}

/// "4.6 MB", "612 KB", "940 B"
func byteSize(_ bytes: Int) -> String {
    if bytes >= 1_000_000 { return String(format: "%.1f MB", Double(bytes) / 1_000_000) }
    if bytes >= 1_000 { return String(format: "%.1f KB", Double(bytes) / 1_000) }
    return "\(bytes) B"
}

/// Left-aligned text columns, except those in `rightAligned` (numbers).
func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    func line(_ row: [String]) -> String {
        row.indices.map { column in
            let cell = row[column]
            let padding = String(repeating: " ", count: widths[column] - cell.count)
            if column == row.count - 1 && !rightAligned.contains(column) { return cell }
            return rightAligned.contains(column) ? padding + cell : cell + padding
        }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}
