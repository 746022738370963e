import Foundation

/// How a run folder's files are replaced, so that a kill, a power cut or a full disk leaves
/// the old file or the new one and never part of one: the bytes go to `<name>.tmp-<pid>`
/// beside the target (a rename is atomic only within one file system), are fsynced, renamed
/// over the target, and the folder is fsynced. A writer killed mid-way leaves its temp file;
/// the next run or resume of the folder removes it (`removeLeftovers`).
///
/// Foundation's `.atomic` writes did the rename but not the fsync, and left `.dat.nosync…`
/// files that nothing recognised as leftovers.
enum AtomicWrite {
    /// The temporary file a write of `url` goes through.
    static func temporary(for url: URL) -> URL {
        url.deletingLastPathComponent().appendingPathComponent("\(url.lastPathComponent).tmp-\(getpid())")
    }

    /// Replaces `url` with `data`, atomically and durably.
    static func write(_ data: Data, to url: URL) throws {
        let temp = temporary(for: url)
        do {
            guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temp.path])
            }
            let handle = try FileHandle(forWritingTo: temp)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
            if rename(temp.path, url.path) != 0 {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                                                               NSLocalizedDescriptionKey: String(cString: strerror(errno))])
            }
        } catch {
            unlink(temp.path)
            throw error
        }
        syncFolder(url.deletingLastPathComponent().path)
    }

    /// Makes a rename in `path` durable across a power cut. Some file systems cannot fsync a
    /// directory; that only weakens durability, so it is not an error.
    static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        _ = close(fd)
    }

    /// Removes the temp files in `folder` of writers that are no longer running:
    /// `<name>.tmp-<pid>` (and a drawing's `.<name>.tmp-<pid>-<n>`). A live writer's file stays,
    /// so that a second repro in the same folder never pulls a file from under the first.
    static func removeLeftovers(in folder: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names {
            guard let marker = name.range(of: ".tmp-", options: .backwards),
                  let pid = pid_t(name[marker.upperBound...].prefix { $0 != "-" }), pid > 0,
                  kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }
}
