import Foundation

/// Loads each new plugin library once in a child process before the host `dlopen`s it, so
/// that a library whose initialiser or entry point aborts, traps or exits is one warning line
/// instead of the end of `repro list` or `repro run`. The child is the host itself
/// (`command`, e.g. `repro probe-plugin`), which loads the one library with
/// `PluginLoader.load` and says on stdout that it got through.
///
/// The verdict is cached in `cacheFolder`, one small file per library path, keyed by the
/// file's device, inode, size, mtime and ctime, its SHA-256 (plugins are a few hundred KB:
/// hashing all of them costs a few milliseconds) and the host's own build (the executable
/// and libReproKit.so), so a normal run spawns nothing and a rebuilt or replaced library is
/// probed again.
public struct PluginProbe: Sendable {
    /// The executable and its arguments before the library's path.
    public let command: [String]
    /// Where verdicts are cached; nil: probe every time.
    public let cacheFolder: String?
    /// A child still loading after this long is killed and the library reported as hanging.
    public var timeout: TimeInterval

    /// The subcommand of `repro` that loads one library (hidden from `--help`).
    public static let subcommand = "probe-plugin"
    /// What the child prints once loading returned (with a plugin or a clean error).
    static let marker = "repro-probe: loaded"

    public init(command: [String], cacheFolder: String?, timeout: TimeInterval = 60) {
        self.command = command
        self.cacheFolder = cacheFolder
        self.timeout = timeout
    }

    /// The probe of the running `repro` binary: `/proc/self/exe probe-plugin PATH`, cached in
    /// `$REPRO_CACHE/plugin-probes` (default `~/.cache/repro/plugin-probes`).
    public static func forThisExecutable() -> PluginProbe? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return PluginProbe(command: [exe, subcommand], cacheFolder: defaultCacheFolder)
    }

    /// `$REPRO_CACHE/plugin-probes`, else `~/.cache/repro/plugin-probes`.
    public static var defaultCacheFolder: String {
        if let p = ProcessInfo.processInfo.environment["REPRO_CACHE"], !p.isEmpty { return p + "/plugin-probes" }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/repro/plugin-probes"
    }

    /// What the child process runs: loads `path` in this process and prints the marker when
    /// loading returned, whatever it returned (a refusal is reported by the host's own load).
    public static func childMain(path: String) -> Never {
        _ = try? PluginLoader.load(path: path).plugin.tasks.map { $0.configProblem }
        print(marker)
        fflush(stdout)
        _exit(0)
    }

    // MARK: The verdict

    /// Why `path` must not be loaded in this process (it crashed or hung in the child), or nil.
    func problem(_ path: String) -> PluginLoadError? {
        let key = Self.key(of: path)
        let entry = cacheFolder.map { URL(fileURLWithPath: $0).appendingPathComponent(Self.entryName(path)) }
        if let key, let entry, let cached = try? JSONDecoder().decode(Verdict.self, from: Data(contentsOf: entry)),
           cached.path == path, cached.key == key {
            return cached.crash.map { .crashed(path: path, how: $0) }
        }
        let crash = run(path)
        // A hang may be a busy machine: not cached, so the next command tries again.
        if let key, let entry, let folder = cacheFolder, !(crash?.hasPrefix("still running after") ?? false),
           (try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil,
           let data = try? JSONEncoder().encode(Verdict(path: path, key: key, crash: crash)) {
            try? AtomicWrite.write(data, to: entry)  // a cache that cannot be written only costs time
        }
        return crash.map { .crashed(path: path, how: $0) }
    }

    /// One cached verdict.
    struct Verdict: Codable {
        var path: String
        var key: String
        /// How the child died, or nil: it loaded.
        var crash: String?
    }

    /// The cache file of a library path.
    static func entryName(_ path: String) -> String {
        String(Checksum.sha256(Array(path.utf8)).prefix(32)) + ".json"
    }

    /// The library's identity (file and content) and the host's build, or nil when the file
    /// cannot be read (then it is probed, and not cached).
    static func key(of path: String) -> String? {
        var s = stat()
        guard stat(path, &s) == 0, let sha = try? Checksum.sha256(file: path) else { return nil }
        func stamp(_ t: timespec) -> String { "\(t.tv_sec).\(t.tv_nsec)" }
        var host = "abi \(reproPluginABIVersion)"
        for file in [try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"), reproKitPath] {
            var h = stat()
            if let file, stat(file, &h) == 0 { host += " \(file):\(h.st_size):\(stamp(h.st_mtim))" }
        }
        return "\(s.st_dev):\(s.st_ino):\(s.st_size):\(stamp(s.st_mtim)):\(stamp(s.st_ctim)) sha256 \(sha); \(host)"
    }

    /// The file libReproKit.so was loaded from (Glibc's module has no `dladdr`). Read with
    /// FileHandle: `String(contentsOfFile:)` stops at 4 KB of a /proc file.
    static var reproKitPath: String? {
        guard let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").lazy.compactMap { line -> String? in
            guard let slash = line.firstIndex(of: "/"), line.hasSuffix("/libReproKit.so") else { return nil }
            return String(line[slash...])
        }.first
    }

    /// Runs the child on `path`: nil if loading returned, else how it died.
    private func run(_ path: String) -> String? {
        ChildCheck.run(command + [path], marker: Self.marker, timeout: timeout)
    }
}

/// Runs `repro` itself on one input in a child process, for what could kill the process that
/// reads it (a plugin's initialiser, libhdf5 on a damaged file): the child prints a marker once
/// it got through, and the parent reports how it died otherwise.
enum ChildCheck {
    /// Runs `command`; nil if it printed `marker` and exited 0 (or could not be started at
    /// all: then the caller goes on as without the check), else how it died, in a few words.
    static func run(_ command: [String], marker: String, timeout: TimeInterval) -> String? {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("repro-probe-\(getpid())-\(UUID().uuidString)")
        guard (try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)) != nil else {
            return nil  // cannot even make a temp folder: go on without the check
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("stdout"), err = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: command[0])
        child.arguments = Array(command.dropFirst())
        var env = ProcessInfo.processInfo.environment
        env["SWIFT_BACKTRACE"] = "enable=no"  // a crash report of the child is not wanted (and slow)
        child.environment = env
        child.standardInput = FileHandle.nullDevice
        do {
            child.standardOutput = try FileHandle(forWritingTo: out)
            child.standardError = try FileHandle(forWritingTo: err)
            try child.run()
        } catch {
            return nil  // the child cannot start: go on without the check
        }
        let deadline = Date().addingTimeInterval(timeout)
        while child.isRunning && Date() < deadline { usleep(2_000) }
        if child.isRunning {
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            return "still running after \(Int(timeout)) s"
        }
        let said = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        if child.terminationReason == .exit && child.terminationStatus == 0 && said.contains(marker) { return nil }
        var how = child.terminationReason == .uncaughtSignal
            ? "killed by " + (signalName(child.terminationStatus) ?? "signal \(child.terminationStatus)")
            : "it exited the process with status \(child.terminationStatus)"
        // Swift's traps say why on stderr ("…: Fatal error: …"); that line is worth keeping.
        let errText = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        if let fatal = errText.split(separator: "\n").first(where: { $0.contains("Fatal error") }) {
            how += ": " + String(fatal.prefix(200))
        }
        return how
    }

    static func signalName(_ n: Int32) -> String? {
        [SIGABRT: "SIGABRT", SIGSEGV: "SIGSEGV", SIGBUS: "SIGBUS", SIGILL: "SIGILL", SIGTRAP: "SIGTRAP",
         SIGFPE: "SIGFPE", SIGKILL: "SIGKILL", SIGTERM: "SIGTERM"][n]
    }
}
