/// A SWORD "zText" Bible module read straight from its files, without libsword.
///
/// Each testament (ot, nt) is three files: `.bzz` holds zlib streams back to back, one per
/// block (a book, in these modules); `.bzs` has a 12-byte record per block (u32 LE offset into
/// .bzz, compressed size, decompressed size); `.bzv` has a 10-byte record per index entry
/// (u32 block, u32 offset in the decompressed block, u16 size), in versification order
/// including heading entries (see `KJVVersification`). Every offset and size is checked
/// against the lengths it points into, so a truncated or damaged file is one line naming it.
public struct SwordZText: Sendable {
    /// The module's folder, e.g. /usr/share/sword/modules/texts/ztext/engKJV2006eb.
    public let directory: String
    /// Index entries per testament, in file order (ot, then nt).
    public let entriesPerTestament: [Int]

    /// Decompressed blocks of both testaments, and where each entry lies in them.
    private let blocks: [[UInt8]]
    private let entries: [(block: Int32, start: Int32, size: Int32)]

    /// Reads `directory`/{ot,nt}.{bzs,bzv,bzz} and inflates every block.
    /// - Parameter installHint: what to do when the module is missing or damaged, e.g.
    ///   "apt-get install sword-text-kjv (scripts/setup does it)".
    public init(directory: String, installHint: String) throws {
        self.directory = directory
        var blocks: [[UInt8]] = []
        var entries: [(block: Int32, start: Int32, size: Int32)] = []
        var perTestament: [Int] = []
        for testament in ["ot", "nt"] {
            let base = directory + "/" + testament
            let damaged = "the file is damaged; reinstall it: \(installHint.replacingOccurrences(of: "apt-get install", with: "apt-get install --reinstall"))"
            let bzs = try Gzip.readRawFile(base + ".bzs", missingHint: installHint)
            let bzv = try Gzip.readRawFile(base + ".bzv", missingHint: installHint)
            let bzz = try Gzip.readRawFile(base + ".bzz", missingHint: installHint)
            guard bzs.count % 12 == 0, !bzs.isEmpty else {
                throw DataError.malformed(path: base + ".bzs", detail: "\(bzs.count) bytes is not a whole number of 12-byte block records; \(damaged)")
            }
            guard bzv.count % 10 == 0 else {
                throw DataError.malformed(path: base + ".bzv", detail: "\(bzv.count) bytes is not a whole number of 10-byte entry records; \(damaged)")
            }
            let firstBlock = blocks.count
            for r in stride(from: 0, to: bzs.count, by: 12) {
                let offset = Int(Self.le32(bzs, r)), size = Int(Self.le32(bzs, r + 4)), inflated = Int(Self.le32(bzs, r + 8))
                // Deflate cannot expand more than ~1032:1, so a larger claim is damage, not a
                // reason to allocate gigabytes.
                guard offset + size <= bzz.count, inflated <= size * 1032 + 64 else {
                    throw DataError.malformed(path: base + ".bzs", detail: "block \(r / 12) (\(size) bytes at \(offset), \(inflated) inflated) "
                        + "does not fit \(base).bzz of \(bzz.count) bytes; \(damaged)")
                }
                do {
                    blocks.append(try Zlib.inflate(bzz[offset..<offset + size], size: inflated, path: base + ".bzz"))
                } catch DataError.malformed(let path, let detail) {
                    throw DataError.malformed(path: path, detail: "block \(r / 12): \(detail); \(damaged)")
                }
            }
            for r in stride(from: 0, to: bzv.count, by: 10) {
                let block = Int(Self.le32(bzv, r)), start = Int(Self.le32(bzv, r + 4)), size = Int(bzv[r + 8]) | Int(bzv[r + 9]) << 8
                if size == 0 { entries.append((0, 0, 0)); continue }  // an empty entry may point anywhere
                guard firstBlock + block < blocks.count, start + size <= blocks[firstBlock + block].count else {
                    throw DataError.malformed(path: base + ".bzv", detail: "entry \(r / 10) (\(size) bytes at \(start) of block \(block)) "
                        + "lies outside the \(blocks.count - firstBlock) blocks of \(base).bzz; \(damaged)")
                }
                entries.append((Int32(firstBlock + block), Int32(start), Int32(size)))
            }
            perTestament.append(bzv.count / 10)
        }
        self.blocks = blocks
        self.entries = entries
        entriesPerTestament = perTestament
    }

    /// How many index entries both testaments have together.
    public var count: Int { entries.count }

    /// Entry `index`'s OSIS markup as stored (UTF-8 bytes); empty for an empty entry.
    public func markup(at index: Int) -> ArraySlice<UInt8> {
        let e = entries[index]
        if e.size == 0 { return [] }
        return blocks[Int(e.block)][Int(e.start)..<Int(e.start + e.size)]
    }

    /// Entry `index`'s plain text: markup, notes and titles removed (see `OSISText`).
    public func text(at index: Int) -> String { OSISText.plain(markup(at: index)) }

    private static func le32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2]) << 16 | UInt32(b[i + 3]) << 24
    }
}
