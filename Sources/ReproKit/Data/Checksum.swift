import Foundation

/// SHA-256 and MD5 in plain Swift, for `repro data verify` (no CryptoKit on Linux, and
/// swift-crypto is not a dependency). MD5 is only for matching published dataset checksums.
public enum Checksum {
    /// SHA-256 of `bytes`, as 64 lowercase hex digits.
    public static func sha256(_ bytes: [UInt8]) -> String {
        var h = SHA256()
        h.update(bytes)
        return hex(h.finalize())
    }

    /// MD5 of `bytes`, as 32 lowercase hex digits.
    public static func md5(_ bytes: [UInt8]) -> String {
        var h = MD5()
        h.update(bytes)
        return hex(h.finalize())
    }

    /// SHA-256 of a file's bytes as stored (not decompressed), streamed in 1 MB chunks.
    public static func sha256(file path: String) throws -> String {
        var h = SHA256()
        try stream(path) { h.update($0) }
        return hex(h.finalize())
    }

    /// MD5 of a file's bytes as stored, streamed in 1 MB chunks.
    public static func md5(file path: String) throws -> String {
        var h = MD5()
        try stream(path) { h.update($0) }
        return hex(h.finalize())
    }

    public static func hex(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var s = [UInt8]()
        s.reserveCapacity(digest.count * 2)
        for b in digest { s.append(digits[Int(b >> 4)]); s.append(digits[Int(b & 15)]) }
        return String(decoding: s, as: UTF8.self)
    }

    private static func stream(_ path: String, _ body: (UnsafeRawBufferPointer) -> Void) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw DataError.fileMissing(path: path, hint: nil)
        }
        guard let fp = fopen(path, "rb") else {
            throw DataError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(fp) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, fp) }
            if n > 0 { chunk.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[0..<n])) } }
            if n < chunk.count {
                if ferror(fp) != 0 { throw DataError.unreadable(path: path, reason: "read error") }
                return
            }
        }
    }
}

/// Buffers input into 64-byte blocks and pads the message the Merkle-Damgård way; the
/// length goes big-endian for SHA-256 and little-endian for MD5.
struct BlockBuffer {
    var block = [UInt8](repeating: 0, count: 64)
    var used = 0
    var length: UInt64 = 0

    /// Feeds `data`, calling `compress` on each full block (a pointer to its 64 bytes).
    mutating func update(_ data: UnsafeRawBufferPointer, _ compress: (UnsafeRawPointer) -> Void) {
        guard var p = data.baseAddress else { return }
        var n = data.count
        length &+= UInt64(n)
        if used > 0 {
            let take = min(64 - used, n)
            block.withUnsafeMutableBytes { ($0.baseAddress! + used).copyMemory(from: p, byteCount: take) }
            used += take; p += take; n -= take
            if used < 64 { return }
            block.withUnsafeBytes { compress($0.baseAddress!) }
            used = 0
        }
        while n >= 64 { compress(p); p += 64; n -= 64 }
        if n > 0 {
            block.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: p, byteCount: n) }
            used = n
        }
    }

    /// Appends 0x80, zeros and the 64-bit bit length, compressing the last block(s).
    mutating func pad(bigEndianLength: Bool, _ compress: (UnsafeRawPointer) -> Void) {
        let bits = length &* 8
        var tail: [UInt8] = [0x80]
        let padLen = (used + 1) % 64 <= 56 ? 56 - (used + 1) % 64 : 120 - (used + 1) % 64
        tail += [UInt8](repeating: 0, count: padLen)
        for i in 0..<8 {
            let shift = bigEndianLength ? UInt64(56 - 8 * i) : UInt64(8 * i)
            tail.append(UInt8(truncatingIfNeeded: bits >> shift))
        }
        let savedLength = length
        tail.withUnsafeBytes { update($0, compress) }
        length = savedLength
        precondition(used == 0)
    }
}

/// Streaming SHA-256 (FIPS 180-4).
public struct SHA256 {
    private var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    private var buffer = BlockBuffer()

    private static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    public init() {}

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public mutating func update(_ data: UnsafeRawBufferPointer) {
        h.withUnsafeMutableBufferPointer { state in
            buffer.update(data) { SHA256.compress(state.baseAddress!, $0) }
        }
    }

    /// The 32-byte digest. The hasher is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        h.withUnsafeMutableBufferPointer { state in
            buffer.pad(bigEndianLength: true) { SHA256.compress(state.baseAddress!, $0) }
        }
        return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) } }
    }

    @inline(__always) private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    @inline(never)
    private static func compress(_ state: UnsafeMutablePointer<UInt32>, _ block: UnsafeRawPointer) {
        k.withUnsafeBufferPointer { k in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                for i in 0..<16 { w[i] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)) }
                for i in 16..<64 {
                    let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                    let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                    w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                }
                var a = state[0], b = state[1], c = state[2], d = state[3]
                var e = state[4], f = state[5], g = state[6], h = state[7]
                for i in 0..<64 {
                    let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[i] &+ w[i]
                    let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    h = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ t2
                }
                state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
                state[4] &+= e; state[5] &+= f; state[6] &+= g; state[7] &+= h
            }
        }
    }
}

/// Streaming MD5 (RFC 1321). Not for security: only to match published checksums.
public struct MD5 {
    private var h: [UInt32] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476]
    private var buffer = BlockBuffer()

    private static let s: [UInt32] = [
        7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
        5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
        4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
        6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
    ]
    /// K[i] = floor(2^32 · |sin(i + 1)|).
    private static let k: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4294967296.0)) }

    public init() {}

    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    public mutating func update(_ data: UnsafeRawBufferPointer) {
        h.withUnsafeMutableBufferPointer { state in
            buffer.update(data) { MD5.compress(state.baseAddress!, $0) }
        }
    }

    /// The 16-byte digest. The hasher is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        h.withUnsafeMutableBufferPointer { state in
            buffer.pad(bigEndianLength: false) { MD5.compress(state.baseAddress!, $0) }
        }
        return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * UInt32($0))) } }
    }

    @inline(never)
    private static func compress(_ state: UnsafeMutablePointer<UInt32>, _ block: UnsafeRawPointer) {
        s.withUnsafeBufferPointer { s in
            k.withUnsafeBufferPointer { k in
                var a = state[0], b = state[1], c = state[2], d = state[3]
                for i in 0..<64 {
                    var f: UInt32
                    let g: Int
                    switch i {
                    case 0..<16: f = (b & c) | (~b & d); g = i
                    case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) & 15
                    case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) & 15
                    default: f = c ^ (b | ~d); g = (7 * i) & 15
                    }
                    let m = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4 * g, as: UInt32.self))
                    f = f &+ a &+ k[i] &+ m
                    a = d; d = c; c = b
                    b = b &+ ((f << s[i]) | (f >> (32 - s[i])))
                }
                state[0] &+= a; state[1] &+= b; state[2] &+= c; state[3] &+= d
            }
        }
    }
}
