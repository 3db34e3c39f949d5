import Foundation

extension Separation {
    /// The figures as a table for people: one row per layer (then `max`), one column per set in the
    /// order the sets first appear, each cell `AUROC (fraction flagged at 5 % false flags)`.
    public static func table(_ figures: [Figure], layers: [String]) -> String {
        var sets: [String] = []
        for f in figures where !sets.contains(f.set) { sets.append(f.set) }
        var lines = ["AUROC (fraction flagged at 5% false flags)"]
        lines.append("layer   " + sets.map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined())
        for layer in layers + ["max"] {
            var line = layer.padding(toLength: 8, withPad: " ", startingAt: 0)
            for set in sets {
                if let f = figures.first(where: { $0.layer == layer && $0.set == set }) {
                    line += String(format: "%.3f (%.2f)    ", f.auroc, f.tprAt5)
                }
            }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }
}
