import Foundation
import TangleData
import TangleModelStore

/// Where a model's training data is on this machine. A model names its data (the profile's name
/// and sub-folder), not the absolute path of the machine that trained it, and finds it at, in order:
///
/// 1. `--data` (the folder itself);
/// 2. `$TANGLE_DATA/<name>/<sub-folder>`;
/// 3. `$XDG_DATA_HOME/tangle/datasets/<name>/<sub-folder>` (default
///    `~/.local/share/tangle/datasets/<name>/<sub-folder>`);
/// 4. the folder the card recorded (the training machine's path: right on that machine).
///
/// Fashion-MNIST keeps its Debian location (`/usr/share/datasets/fashion-mnist`, or
/// `$TANGLE_FASHION_MNIST`). For CIFAR-10 in
/// the image-folder layout the name is `cifar10` and the sub-folder `train`: `tar -xzf
/// train.tar.gz -C ~/.local/share/tangle/datasets/cifar10` puts it there.
public enum DataLocation {
    /// The folders searched for a data set, in order (without `--data`).
    public static func candidates(for card: ModelCard, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        if card.data.kind == "fashion-mnist" && card.data.directory == FashionMNIST.debianDirectory {
            return [environment["TANGLE_FASHION_MNIST"].flatMap { $0.isEmpty ? nil : $0 } ?? FashionMNIST.debianDirectory]
        }
        guard card.data.kind == "image-folder", let profile = card.profile else { return [card.data.directory] }
        let tail = profile.subfolder.map { "\(profile.name)/\($0)" } ?? profile.name
        var out: [String] = []
        if let root = environment["TANGLE_DATA"], !root.isEmpty { out.append("\(root)/\(tail)") }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let xdg = environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? "\(home)/.local/share"
        out.append("\(xdg)/tangle/datasets/\(tail)")
        out.append(card.data.directory)
        return out
    }

    /// The data folder for `card`: `override` when given, else the first candidate that exists.
    /// - Throws: ``DataError/missingFile(path:hint:)`` naming where it was looked for and the command that puts it there.
    public static func resolve(card: ModelCard, override: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        if let override { return override }
        let candidates = candidates(for: card, environment: environment)
        var isFolder: ObjCBool = false
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && isFolder.boolValue }) {
            return found
        }
        // Fashion-MNIST and older cards: the one place named, whose loader says how to install it.
        guard card.data.kind == "image-folder", let profile = card.profile else { return candidates[0] }
        let target = candidates.count > 1 ? candidates[candidates.count - 2] : candidates[0]
        let parent = (target as NSString).deletingLastPathComponent
        let how =
            profile.subfolder.map { sub in
                "put the data set's \(sub)/ folder (\(sub)/<class>/*.jpg|png) under \(parent): e.g. `mkdir -p \(parent) && tar -xzf \(sub).tar.gz -C \(parent)`"
            } ?? "put its class folders (<class>/*.jpg|png) at \(target)"
        throw DataError.missingFile(
            path: target,
            hint: "the training data \(profile.name) (digest \(profile.digest.prefix(12))…) is in none of \(candidates.joined(separator: ", ")); \(how), set $TANGLE_DATA, or pass --data")
    }

    /// The name and sub-folder a training folder is recorded under: `…/cifar10/train` is `cifar10`
    /// with sub-folder `train` (also for `training`); any other folder is its own name.
    public static func name(of folder: String) -> (name: String, subfolder: String?) {
        let url = URL(fileURLWithPath: folder).standardizedFileURL
        let last = url.lastPathComponent
        if ["train", "training"].contains(last.lowercased()) {
            let parent = url.deletingLastPathComponent().lastPathComponent
            if !parent.isEmpty && parent != "/" { return (parent, last) }
        }
        return (last, nil)
    }
}
