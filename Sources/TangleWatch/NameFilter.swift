/// Which inbox names wait: hidden names and names of files still being written by their tools.
public enum NameFilter {
    /// Suffixes of partial files (downloads, editors' temporary files); they are judged once renamed.
    public static let partialSuffixes = [".part", ".tmp", ".crdownload", "~"]

    /// Whether a file with this name is left alone until it is renamed.
    public static func isIgnored(_ name: String) -> Bool {
        name.hasPrefix(".") || partialSuffixes.contains { name.hasSuffix($0) }
    }
}
