import Foundation

/// Checks that a shared library file is whole before `dlopen` sees it. glibc maps a
/// library's segments from its program headers without checking them against the file's
/// size, so a truncated library (an interrupted copy or build) kills the process with
/// SIGBUS during relocation instead of returning an error: one bad file would take every
/// other plugin down with it.
enum ELFCheck {
    /// Why `path` cannot be a complete 64-bit ELF library, or nil if its headers fit the file.
    static func problem(_ path: String) -> String? {
        guard let file = FileHandle(forReadingAtPath: path) else { return "cannot open the file" }
        defer { try? file.close() }
        guard let size = try? file.seekToEnd() else { return "cannot read the file" }
        try? file.seek(toOffset: 0)
        let header = (try? file.read(upToCount: 64)) ?? Data()
        guard header.count >= 4, header.prefix(4) == Data([0x7F, 0x45, 0x4C, 0x46]) else {
            return "not an ELF shared library"
        }
        guard header.count == 64 else { return "truncated: the file has \(size) bytes" }
        guard header[4] == 2, header[5] == 1 else { return "not a 64-bit little-endian ELF library" }
        func u16(_ d: Data, _ at: Int) -> UInt64 { UInt64(d[d.startIndex + at]) | UInt64(d[d.startIndex + at + 1]) << 8 }
        func u64(_ d: Data, _ at: Int) -> UInt64 {
            (0..<8).reduce(UInt64(0)) { $0 | UInt64(d[d.startIndex + at + $1]) << (8 * UInt64($1)) }
        }
        let phoff = u64(header, 32), shoff = u64(header, 40)
        let phentsize = u16(header, 54), phnum = u16(header, 56)
        let shentsize = u16(header, 58), shnum = u16(header, 60)
        // The section headers usually sit at the very end: a truncated file loses them first.
        var needed = max(phoff &+ phentsize &* phnum, shnum == 0 ? 0 : shoff &+ shentsize &* shnum)
        if phnum > 0, phentsize >= 56, phoff < size {
            try? file.seek(toOffset: phoff)
            let table = (try? file.read(upToCount: Int(phentsize * phnum))) ?? Data()
            if table.count == Int(phentsize * phnum) {
                for i in 0..<Int(phnum) {
                    let base = i * Int(phentsize)
                    let offset = u64(table, base + 8), fileSize = u64(table, base + 32)
                    needed = max(needed, offset &+ fileSize)
                }
            }
        }
        guard needed <= size else {
            return "truncated: the file has \(size) bytes, its ELF headers describe \(needed)"
        }
        return nil
    }
}
