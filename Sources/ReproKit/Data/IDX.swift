/// The IDX format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/).
///
/// A big-endian UInt32 magic, then one big-endian UInt32 per dimension, then the uint8 data
/// row-major: 0x00000803 is images (count, rows, cols), 0x00000801 labels (count).
/// Files may be gzip-compressed or not; the magic 1f 8b decides.
public enum IDX {
    public static let imagesMagic: UInt32 = 0x0000_0803
    public static let labelsMagic: UInt32 = 0x0000_0801

    /// Reads an image file: `images` holds count × rows × cols bytes.
    /// - Parameter missingHint: appended to the file-missing error (how to get the file).
    public static func readImages(_ path: String, missingHint: String? = nil) throws
        -> (images: [UInt8], count: Int, rows: Int, cols: Int) {
        var bytes = try Gzip.readFile(path, missingHint: missingHint)
        let dims = try header(bytes, path: path, magic: imagesMagic, rank: 3)
        let (count, rows, cols) = (dims[0], dims[1], dims[2])
        // An empty set would fail far from its cause (a sampler, a convolution): say it here.
        guard count > 0, rows > 0, cols > 0 else {
            throw DataError.malformed(path: path, detail: "its header says \(count) images of \(rows)×\(cols) pixels; "
                + "is it the right file? Install or download it again")
        }
        try checkSize(bytes.count, header: 16, dims: dims, path: path)
        bytes.removeFirst(16)
        return (bytes, count, rows, cols)
    }

    /// Reads a label file: one byte per example.
    public static func readLabels(_ path: String, missingHint: String? = nil) throws -> [UInt8] {
        var bytes = try Gzip.readFile(path, missingHint: missingHint)
        let dims = try header(bytes, path: path, magic: labelsMagic, rank: 1)
        try checkSize(bytes.count, header: 8, dims: dims, path: path)
        bytes.removeFirst(8)
        return bytes
    }

    /// Encodes an IDX file (uncompressed): for tests and for writing small data sets.
    public static func encode(magic: UInt32, dims: [Int], data: [UInt8]) -> [UInt8] {
        precondition(dims.reduce(1, *) == data.count, "IDX: dims \(dims) do not match \(data.count) bytes")
        var out: [UInt8] = []
        out.reserveCapacity(4 + 4 * dims.count + data.count)
        for v in [magic] + dims.map({ UInt32($0) }) {
            out += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
        }
        return out + data
    }

    static func bigEndian32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) << 24 | UInt32(b[at + 1]) << 16 | UInt32(b[at + 2]) << 8 | UInt32(b[at + 3])
    }

    private static func header(_ b: [UInt8], path: String, magic: UInt32, rank: Int) throws -> [Int] {
        let headerSize = 4 + 4 * rank
        if b.count < 4 { throw DataError.shortFile(path: path, expected: headerSize, actual: b.count) }
        let found = bigEndian32(b, 0)
        guard found == magic else { throw DataError.wrongMagic(path: path, expected: magic, found: found) }
        if b.count < headerSize { throw DataError.shortFile(path: path, expected: headerSize, actual: b.count) }
        return (0..<rank).map { Int(bigEndian32(b, 4 + 4 * $0)) }
    }

    private static func checkSize(_ size: Int, header: Int, dims: [Int], path: String) throws {
        // Dimensions are UInt32 each: their product can overflow Int on a damaged header.
        var expected = header
        var payload = 1
        for d in dims {
            let (p, overflow) = payload.multipliedReportingOverflow(by: d)
            if overflow { throw DataError.malformed(path: path, detail: "impossible dimensions \(dims) in its header") }
            payload = p
        }
        expected += payload
        if size < expected { throw DataError.shortFile(path: path, expected: expected, actual: size) }
        if size > expected {
            throw DataError.malformed(path: path, detail: "\(size - expected) bytes more than its header says "
                + "(\(expected)); is it the right file?")
        }
    }
}
