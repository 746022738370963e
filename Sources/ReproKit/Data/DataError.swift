import Foundation

/// What can go wrong reading data files or batching data; each message is one line that says
/// what is wrong and, where we know it, what to do about it.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file is not there. `hint` says how to get it (a command, a package).
    case fileMissing(path: String, hint: String?)
    /// The file is there but could not be read (permissions, a directory, I/O error).
    case unreadable(path: String, reason: String)
    /// The gzip stream ends before its end marker.
    case truncatedGzip(path: String)
    /// The gzip stream is damaged (bad header, bad deflate data, CRC mismatch).
    case corruptGzip(path: String, detail: String)
    /// The file's leading magic number is not the one its format needs.
    case wrongMagic(path: String, expected: UInt32, found: UInt32)
    /// The file is shorter than its header (or its record size) says it must be.
    case shortFile(path: String, expected: Int, actual: Int)
    /// Anything else that does not match the format.
    case malformed(path: String, detail: String)
    /// Data or batching settings that cannot work (a batch size of 0, tensors of different
    /// shapes to stack, …): the whole message, naming the setting and what it must be.
    case invalid(String)

    public var description: String {
        switch self {
        case let .fileMissing(path, hint):
            return "data file not found: \(path)" + (hint.map { "; \($0)" } ?? "")
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason); check that it is a readable file"
        case let .truncatedGzip(path):
            return "truncated gzip file: \(path) ends before the end of its compressed stream; "
                + "delete it and download or install it again"
        case let .corruptGzip(path, detail):
            return "corrupt gzip file: \(path) (\(detail)); delete it and download or install it again"
        case let .wrongMagic(path, expected, found):
            return "wrong magic number in \(path): expected \(hex(expected)), found \(hex(found)); "
                + "is this the right file (images vs labels, IDX format)?"
        case let .shortFile(path, expected, actual):
            return "file too short: \(path) has \(actual) bytes where its format needs \(expected); "
                + "it is truncated: download or install it again"
        case let .malformed(path, detail):
            return "malformed data file \(path): \(detail)"
        case let .invalid(message):
            return message
        }
    }

    private func hex(_ v: UInt32) -> String { "0x" + String(format: "%08x", v) }
}
