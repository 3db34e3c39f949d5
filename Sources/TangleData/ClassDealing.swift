/// Indices dealt out class by class: the first of every group (in group order), then the second
/// of every group, and so on. Any prefix of the result holds every group in proportion — what a
/// probe batch, "the first N" attacked images or the first samples need, when data arrives class
/// by class (an image folder is read one class folder at a time).
public enum ClassDealing {
    /// `groups` dealt out round by round; within a group, its own order.
    public static func deal(_ groups: [[Int]]) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(groups.reduce(0) { $0 + $1.count })
        for round in 0..<(groups.map(\.count).max() ?? 0) {
            for g in groups where round < g.count { out.append(g[round]) }
        }
        return out
    }

    /// The indices of `labels` dealt out class by class (classes in ascending label order, each in
    /// its original order).
    public static func deal(labels: [Int32]) -> [Int] {
        var byClass: [Int32: [Int]] = [:]
        for (i, l) in labels.enumerated() { byClass[l, default: []].append(i) }
        return deal(byClass.keys.sorted().map { byClass[$0]! })
    }
}
