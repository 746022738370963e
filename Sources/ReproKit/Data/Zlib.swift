internal import CZlib

/// zlib (RFC 1950) blocks whose decompressed size is known in advance, such as the blocks of a
/// SWORD zText module (whose index records each block's size).
public enum Zlib {
    /// Decompresses one zlib stream that must inflate to exactly `size` bytes. `path` only
    /// names the source in errors: damaged, truncated or wrongly sized data is a one-line
    /// `DataError.malformed` naming it, never a trap.
    public static func inflate(_ input: ArraySlice<UInt8>, size: Int, path: String) throws -> [UInt8] {
        guard size >= 0, input.count <= Int(UInt32.max), size <= Int(UInt32.max) else {
            throw DataError.malformed(path: path, detail: "a zlib block of \(input.count) bytes claims \(size) bytes decompressed")
        }
        // One byte of headroom: a stream longer than `size` then shows up as a size mismatch
        // instead of as a full buffer that looks like success.
        var out = [UInt8](repeating: 0, count: size + 1)
        var produced = uLongf(out.count)
        let status = input.withUnsafeBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                uncompress(o.baseAddress, &produced, i.baseAddress, uLong(i.count))
            }
        }
        switch status {
        case Z_OK where Int(produced) == size:
            out.removeLast()
            return out
        case Z_OK:
            throw DataError.malformed(path: path, detail: "a zlib block inflates to \(produced) bytes, not the \(size) its index records")
        case Z_BUF_ERROR:
            // The input ended before the stream did, or the output outgrew `size` + 1.
            throw DataError.malformed(path: path, detail: "a zlib block is cut short or longer than the \(size) bytes its index records")
        case Z_DATA_ERROR:
            throw DataError.malformed(path: path, detail: "a block is not valid zlib data")
        default:
            throw DataError.malformed(path: path, detail: "zlib status \(status) inflating a block")
        }
    }
}
