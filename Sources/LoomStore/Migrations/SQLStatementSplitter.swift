import Foundation

/// Splits a SQL file into statements at top-level semicolons. PostgresNIO sends one statement per query, so a
/// migration file is run statement by statement inside one transaction. Understands quotes, `E''` escapes,
/// dollar quoting, and both comment styles.
enum SQLStatementSplitter {
    static func split(_ sql: String) -> [String] {
        let characters = Array(sql)
        var statements: [String] = []
        var current = ""
        var index = 0
        func peek(_ offset: Int = 1) -> Character? {
            index + offset < characters.count ? characters[index + offset] : nil
        }
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "'", "\"":
                let escapes = character == "'" && index > 0 && (characters[index - 1] == "E" || characters[index - 1] == "e")
                current.append(character)
                index += 1
                while index < characters.count {
                    let inner = characters[index]
                    current.append(inner)
                    index += 1
                    if escapes, inner == "\\", index < characters.count {
                        current.append(characters[index])
                        index += 1
                    } else if inner == character {
                        // A doubled quote continues the literal.
                        if index < characters.count, characters[index] == character {
                            current.append(character)
                            index += 1
                        } else {
                            break
                        }
                    }
                }
                continue
            case "-" where peek() == "-":
                while index < characters.count, characters[index] != "\n" { index += 1 }
                continue
            case "/" where peek() == "*":
                var depth = 0
                repeat {
                    if characters[index] == "/", peek() == "*" {
                        depth += 1
                        index += 2
                    } else if characters[index] == "*", peek() == "/" {
                        depth -= 1
                        index += 2
                    } else {
                        index += 1
                    }
                } while depth > 0 && index < characters.count
                current.append(" ")
                continue
            case "$":
                if let tag = dollarTag(characters, at: index) {
                    current.append(contentsOf: tag)
                    index += tag.count
                    while index < characters.count {
                        if characters[index] == "$", Array(characters[index..<min(index + tag.count, characters.count)]) == tag {
                            current.append(contentsOf: tag)
                            index += tag.count
                            break
                        }
                        current.append(characters[index])
                        index += 1
                    }
                    continue
                }
            case ";":
                let statement = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !statement.isEmpty { statements.append(statement) }
                current = ""
                index += 1
                continue
            default:
                break
            }
            current.append(character)
            index += 1
        }
        let last = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !last.isEmpty { statements.append(last) }
        return statements
    }

    /// `$$` or `$tag$` starting at `index`.
    private static func dollarTag(_ characters: [Character], at index: Int) -> [Character]? {
        var end = index + 1
        while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" { end += 1 }
        guard end < characters.count, characters[end] == "$" else { return nil }
        if end > index + 1, characters[index + 1].isNumber { return nil }  // $1 is a parameter, not a tag
        return Array(characters[index...end])
    }
}
