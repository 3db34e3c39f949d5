import TangleNetwork

/// The checks a model folder passes when it is opened (``ModelFolder/loadNetwork(card:)``), so a
/// damaged or hostile folder is refused with its reason instead of judging with broken numbers:
///
/// - **The weights file name** (checked before anything but `model.json` is opened): a plain file
///   name beside `model.json` — not empty, at most 255 bytes, no `/` (so no absolute path and no
///   folder: Tangle always writes the weights beside the card), not `.` or `..`, no NUL byte.
///   The file is then opened with `O_NOFOLLOW | O_NONBLOCK` and must be a regular file: a symbolic
///   link (which could lead out of the folder), a FIFO or a device is refused.
/// - **The weights' SHA-256** matches the card's `weights_sha256`.
/// - **The card agrees with its network**: the architecture builds, `class_names` holds one name per
///   output of the last layer, and every name in `representations` is a layer of the network.
/// - **The tensors match the network**: every parameter tensor is there with the shape the
///   architecture needs, and no other tensor is.
/// - **Every weight is finite**: no tensor holds a NaN or an infinity (a linear scan).
extension ModelCard {
    /// The longest weights file name accepted, in UTF-8 bytes (a file name's limit on Linux and macOS).
    public static let maximumWeightsFileNameBytes = 255

    /// Why `name` cannot be a weights file name (see the rules above), or nil when it can.
    public static func weightsFileProblem(_ name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.hasPrefix("/") { return "it is an absolute path, outside the model folder" }
        if name.contains("/") {
            return name.split(separator: "/").contains("..")
                ? "it climbs out of the model folder with '..'" : "it names a path with '/', not a file beside model.json"
        }
        if name == "." || name == ".." { return "'\(name)' is a folder, not a file" }
        if name.utf8.contains(0) { return "it holds a NUL byte" }
        if name.utf8.count > maximumWeightsFileNameBytes {
            return "it is \(name.utf8.count) bytes long, more than a file name's \(maximumWeightsFileNameBytes)"
        }
        return nil
    }

    /// Why this card does not describe `network` (class names, representations), or nil when it does.
    public func networkProblem(_ network: Network) -> String? {
        if classNames.count != network.classCount {
            return "class_names holds \(classNames.count) names but the network's last layer has \(network.classCount) outputs"
        }
        let known = Set(network.representationNames + [Network.inputRepresentation])
        if let unknown = representations.first(where: { !known.contains($0) }) {
            return "representations names '\(unknown)', which is not a layer of the network (\(network.representationNames.joined(separator: ", ")))"
        }
        return nil
    }
}

extension Safetensors.Tensor {
    /// How many of its values are NaN and how many are infinite.
    public var nonFiniteCounts: (nan: Int, infinite: Int) {
        var nan = 0, infinite = 0
        for v in values where !v.isFinite {
            if v.isNaN { nan += 1 } else { infinite += 1 }
        }
        return (nan, infinite)
    }
}
