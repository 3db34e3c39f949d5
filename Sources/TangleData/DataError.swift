/// Why a data set could not be loaded. Each message says what to do.
public enum DataError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A required file is missing; `hint` says what installs it.
    case missingFile(path: String, hint: String)
    /// The file could not be opened or read (permissions, I/O, corrupt compression).
    case unreadable(path: String, reason: String)
    /// The IDX magic number is not the expected one.
    case badMagic(path: String, found: UInt32, expected: String)
    /// The file ends before the data its header declares.
    case truncated(path: String, expectedBytes: Int, gotBytes: Int)
    /// The file is longer than its header declares.
    case trailingData(path: String)
    /// Images and labels disagree in count.
    case countMismatch(images: Int, labels: Int, imagesPath: String, labelsPath: String)
    /// A label is outside the class range.
    case labelOutOfRange(path: String, index: Int, label: Int, classes: Int)
    /// A data set is empty or its shape cannot be used.
    case invalid(String)

    public var description: String {
        switch self {
        case .missingFile(let p, let hint): "\(p) does not exist: \(hint)"
        case .unreadable(let p, let r): "cannot read \(p): \(r); check the file and its permissions"
        case .badMagic(let p, let found, let expected):
            "\(p) is not an IDX \(expected) file (magic number 0x\(String(found, radix: 16))); point Tangle at the right file"
        case .truncated(let p, let e, let g):
            "\(p) is truncated: its header promises \(e) bytes of data but only \(g) are there; re-download or reinstall it"
        case .trailingData(let p): "\(p) has data beyond what its header declares; the file is damaged or not IDX"
        case .countMismatch(let i, let l, let ip, let lp):
            "\(ip) holds \(i) images but \(lp) holds \(l) labels; use the labels that belong to these images"
        case .labelOutOfRange(let p, let i, let l, let c):
            "\(p): label \(l) at index \(i) is outside 0..<\(c); the labels file is damaged or for another data set"
        case .invalid(let why): why
        }
    }
}
