import ArgumentParser

/// Names the command a misspelt subcommand probably meant (`tangle clasify x` → `classify`), before
/// the parser would report every word as an unexpected argument.
enum CommandSuggestion {
    /// A message when `arguments` name an unknown subcommand where `root` (or one of its command
    /// groups) needs one; nil when they do not (options, `help`, and known names are the parser's).
    static func message(for arguments: [String], root: ParsableCommand.Type) -> String? {
        var command = root
        var path = [root._commandName]
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, command.configuration.defaultSubcommand == nil, !word.hasPrefix("-"), word != "help" else {
                return nil
            }
            guard let next = subcommands.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) else {
                let names = subcommands.map { $0._commandName }
                let scored = names.map { (name: $0, distance: editDistance(word.lowercased(), $0)) }
                let best = scored.min { $0.distance < $1.distance }!
                let prefix = path.joined(separator: " ")
                let known = "the commands are: \(names.joined(separator: ", ")) (see '\(prefix) --help')"
                if best.distance <= max(2, best.name.count / 3) {
                    return "unknown command '\(word)': did you mean '\(prefix) \(best.name)'? \(known)"
                }
                return "unknown command '\(word)'; \(known)"
            }
            command = next
            path.append(word)
        }
        return nil
    }

    /// Levenshtein distance (insertions, deletions and substitutions of characters).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var row = Array(0...b.count)
        for (i, ca) in a.enumerated() {
            var diagonal = row[0]
            row[0] = i + 1
            for (j, cb) in b.enumerated() {
                let above = row[j + 1]
                row[j + 1] = min(diagonal + (ca == cb ? 0 : 1), above + 1, row[j] + 1)
                diagonal = above
            }
        }
        return row[b.count]
    }
}
