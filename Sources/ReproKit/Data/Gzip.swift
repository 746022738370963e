import Foundation
internal import CZlib

/// gzip (RFC 1952) reading and writing through zlib.
public enum Gzip {
    /// True when `bytes` start with the gzip magic 1f 8b.
    public static func isGzip(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// The whole file, decompressed when it is gzip (detected by its magic, not its name).
    /// - Parameter missingHint: appended to the file-missing error, e.g. how to fetch it.
    public static func readFile(_ path: String, missingHint: String? = nil) throws -> [UInt8] {
        let raw = try readRawFile(path, missingHint: missingHint)
        return isGzip(raw) ? try decompress(raw, path: path) : raw
    }

    /// The file's bytes as they are on disk.
    public static func readRawFile(_ path: String, missingHint: String? = nil) throws -> [UInt8] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DataError.fileMissing(path: path, hint: missingHint)
        }
        if isDir.boolValue { throw DataError.unreadable(path: path, reason: "it is a directory") }
        guard let fp = fopen(path, "rb") else {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(fp) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, fp) }
            if n > 0 { bytes.append(contentsOf: chunk[0..<n]) }
            if n < chunk.count {
                if ferror(fp) != 0 { throw DataError.unreadable(path: path, reason: "read error") }
                break
            }
        }
        return bytes
    }

    /// Decompresses a gzip stream (several concatenated members are read as one, like gunzip).
    /// `path` only names the source in error messages.
    public static func decompress(_ input: [UInt8], path: String = "<memory>") throws -> [UInt8] {
        guard isGzip(input) else {
            throw DataError.corruptGzip(path: path, detail: "no gzip magic 1f 8b")
        }
        // The trailer's ISIZE (size mod 2^32 of the last member) is a good first guess; on a
        // truncated file it is noise, so it is capped by deflate's best ratio (~1032:1).
        var capacity = input.count * 4
        if input.count >= 18 {
            let n = input.count
            let isize = Int(input[n - 4]) | Int(input[n - 3]) << 8 | Int(input[n - 2]) << 16 | Int(input[n - 1]) << 24
            capacity = max(capacity, min(isize, input.count * 1032))
        }
        var out = [UInt8](repeating: 0, count: max(capacity, 1024))
        var produced = 0

        var stream = z_stream()
        // 15 + 16: a 32 KB window and a gzip (not zlib) wrapper.
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw DataError.corruptGzip(path: path, detail: "zlib could not start")
        }
        defer { inflateEnd(&stream) }

        try input.withUnsafeBufferPointer { inBuf in
            let base = UnsafeMutablePointer(mutating: inBuf.baseAddress!)
            var consumed = 0
            while true {
                if produced == out.count { out.append(contentsOf: repeatElement(0, count: out.count)) }
                let remainingIn = inBuf.count - consumed
                let chunkIn = min(remainingIn, Int(UInt32.max))
                let space = min(out.count - produced, Int(UInt32.max))
                stream.next_in = base + consumed
                stream.avail_in = UInt32(chunkIn)
                let status: Int32 = out.withUnsafeMutableBufferPointer { o in
                    stream.next_out = o.baseAddress! + produced
                    stream.avail_out = UInt32(space)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                consumed += chunkIn - Int(stream.avail_in)
                produced += space - Int(stream.avail_out)
                switch status {
                case Z_STREAM_END:
                    // Another member may follow; trailing zero padding is tolerated, as gunzip does.
                    let rest = inBuf[consumed...]
                    if rest.count >= 2 && rest[consumed] == 0x1F && rest[consumed + 1] == 0x8B {
                        inflateReset(&stream)
                        continue
                    }
                    if rest.contains(where: { $0 != 0 }) {
                        throw DataError.corruptGzip(path: path, detail: "\(rest.count) bytes of garbage after the stream")
                    }
                    out.removeSubrange(produced...)
                    return
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress possible: either the output is full (grow it) or the input ran out.
                    if produced == out.count { continue }
                    throw DataError.truncatedGzip(path: path)
                case Z_DATA_ERROR:
                    let msg = stream.msg.map { String(cString: $0) } ?? "invalid deflate data"
                    throw DataError.corruptGzip(path: path, detail: msg)
                case Z_MEM_ERROR:
                    throw DataError.corruptGzip(path: path, detail: "out of memory")
                default:
                    throw DataError.corruptGzip(path: path, detail: "zlib status \(status)")
                }
            }
        }
        return out
    }

    /// Compresses `input` as one gzip member (level 0-9). Used to write test files and caches.
    public static func compress(_ input: [UInt8], level: Int = 6) -> [UInt8] {
        var stream = z_stream()
        let ok = deflateInit2_(&stream, Int32(level), Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(ok == Z_OK, "zlib deflateInit2 failed (\(ok))")
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(input.count))) + 32
        var out = [UInt8](repeating: 0, count: bound)
        var source = input
        let status: Int32 = source.withUnsafeMutableBufferPointer { i in
            out.withUnsafeMutableBufferPointer { o in
                stream.next_in = i.baseAddress
                stream.avail_in = UInt32(i.count)
                stream.next_out = o.baseAddress
                stream.avail_out = UInt32(o.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        precondition(status == Z_STREAM_END, "zlib deflate did not finish (\(status))")
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }
}
