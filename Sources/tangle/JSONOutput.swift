import Foundation

/// Prints one value as a single-line JSON object: snake_case keys, sorted, slashes unescaped,
/// non-finite numbers as strings.
func printJSON<T: Encodable>(_ value: T) throws {
    let e = JSONEncoder()
    e.keyEncodingStrategy = .convertToSnakeCase
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    print(String(decoding: try e.encode(value), as: UTF8.self))
}
