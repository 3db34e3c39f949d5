import TangleNetwork

/// `--input HxWxC`.
enum InputShape {
    /// The shape `text` names (`28x28x1`, `32x32x3`), nil when it is not one: sides 8 to 512, 1 or 3 channels.
    static func parse(_ text: String) -> Shape3? {
        let parts = text.lowercased().split(separator: "x").map { Int($0) }
        guard parts.count == 3, let h = parts[0], let w = parts[1], let c = parts[2], (8...512).contains(h), (8...512).contains(w), c == 1 || c == 3
        else { return nil }
        return Shape3(height: h, width: w, channels: c)
    }
}
