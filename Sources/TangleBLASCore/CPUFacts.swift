/// What the processor offers, as `/proc/cpuinfo` states it for its first processor.
///
/// ```swift
/// let cpu = CPUFacts(cpuinfo: try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))
/// cpu.flags.contains("avx512f")
/// ```
public struct CPUFacts: Sendable, Equatable {
    /// `vendor_id`, e.g. `"GenuineIntel"` or `"AuthenticAMD"` (empty when unknown).
    public var vendor: String
    /// `cpu family` (Zen 5 is 26), or nil when unknown.
    public var family: Int?
    /// `model`, or nil when unknown.
    public var model: Int?
    /// The `flags` line's words (the kernel lists a feature only when it also lets programs use it).
    public var flags: Set<String>

    /// Facts given one by one.
    public init(vendor: String, family: Int?, model: Int?, flags: Set<String>) {
        self.vendor = vendor
        self.family = family
        self.model = model
        self.flags = flags
    }

    /// Parses the first processor's block of `/proc/cpuinfo` text (later blocks are ignored).
    /// - Parameter cpuinfo: the file's text, or its beginning.
    public init(cpuinfo: String) {
        var vendor = ""
        var family: Int?
        var model: Int?
        var flags: Set<String> = []
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.allSatisfy(\.isWhitespace) {
                if !vendor.isEmpty || !flags.isEmpty { break }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingWhitespace
            let value = line[line.index(after: colon)...].trimmingWhitespace
            switch key {
            case "vendor_id": vendor = String(value)
            case "cpu family": family = Int(value)
            case "model": model = Int(value)
            case "flags": flags = Set(value.split(separator: " ").map(String.init))
            default: break
            }
        }
        self.init(vendor: vendor, family: family, model: model, flags: flags)
    }
}

extension Substring {
    fileprivate var trimmingWhitespace: Substring {
        var s = self
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return s
    }
}
