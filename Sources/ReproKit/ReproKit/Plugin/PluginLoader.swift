import Foundation

/// Why a library could not be loaded as a plugin: one line naming the file and what to do.
public enum PluginLoadError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case notAPlugin(path: String)
    case abiMismatch(path: String, found: Int32, expected: Int32)
    case badEntry(path: String)
    case duplicateID(id: String, path: String, first: String)
    /// `--plugins` names something that is not a folder.
    case notAFolder(path: String)
    /// A task whose config struct has a field `--set` cannot express; the plugin still loads.
    case badConfig(path: String, task: String, problem: String)
    /// Loading the library in a probe process killed that process (`PluginProbe`).
    case crashed(path: String, how: String)
    /// A plugin file, or a plugin folder, that users other than its owner and root may change.
    case unsafeFile(path: String, problem: String)
    case unsafeFolder(path: String, problem: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot be loaded (\(reason)); is it a complete plugin library? Rebuild it with scripts/build"
        case .notAPlugin(let path):
            return "\(path): not a repro plugin (no repro_plugin_abi / repro_plugin_entry symbols); remove it from the plugin folder"
        case .abiMismatch(let path, let found, let expected):
            return "\(path): built for plugin ABI \(found), this repro needs \(expected); rebuild the plugin with this repro's sources (scripts/build)"
        case .badEntry(let path):
            return "\(path): repro_plugin_entry did not return a PaperPlugin; rebuild it against this ReproKit"
        case .duplicateID(let id, let path, let first):
            return "\(path): paper id '\(id)' is already provided by \(first); remove one of the two"
        case .notAFolder(let path):
            return "--plugins \(path): no such folder; point it at the folder holding the plugin libraries (lib*.so)"
        case .badConfig(let path, let task, let problem):
            return "\(path): task '\(task)' cannot run: \(problem); fix the plugin's config struct"
        case .crashed(let path, let how):
            return "\(path): crashed while loading (\(how)), so it was not loaded; fix or rebuild the plugin, or remove it from the plugin folder"
        case .unsafeFile(let path, let problem):
            return "\(path): \(problem), so it was not loaded (a plugin runs as you); "
                + (problem.hasPrefix("owned by") ? "chown it to yourself" : "chmod go-w it") + ", or remove it from the plugin folder"
        case .unsafeFolder(let path, let problem):
            return "\(path): plugin folder \(problem), so none of its plugins was loaded; "
                + (problem.hasPrefix("owned by") ? "chown it to yourself" : "chmod go-w it") + ", or move the plugins elsewhere"
        }
    }
}

/// A plugin that loaded, and where from.
public struct LoadedPlugin {
    public let plugin: PaperPlugin
    public let path: String
}

/// Finds and loads plugin libraries. Plugins are never unloaded (no dlclose): their types
/// and metadata stay referenced by the runtime for the life of the process.
public enum PluginLoader {
    /// Where plugins are looked for, in order: `--plugins DIR`, `$REPRO_PLUGIN_PATH`
    /// (colon-separated), then the folder of the running executable.
    public static func searchPath(explicit: String?) -> [String] {
        var dirs: [String] = []
        if let explicit { dirs.append(explicit) }
        if let env = ProcessInfo.processInfo.environment["REPRO_PLUGIN_PATH"] {
            dirs += env.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            dirs.append(URL(fileURLWithPath: exe).deletingLastPathComponent().path)
        }
        var seen = Set<String>()
        return dirs.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }

    /// Candidate plugin files in `dir`: regular files (or links to one) named like shared
    /// libraries, other than ReproKit itself. A named pipe or a device is skipped: reading its
    /// ELF header would block forever.
    public static func candidates(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasPrefix("lib") && $0.hasSuffix(".so") && $0 != "libReproKit.so" }
            .sorted().map { dir + "/" + $0 }
            .filter { path in
                var info = stat()
                return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
            }
    }

    /// Why users other than `path`'s owner and root could change it, or nil: as ssh refuses a
    /// loose key, repro refuses code that another user could have put there. Refused: an
    /// owner other than you or root, write permission for others, and write permission for a
    /// group other than the owner's own (Debian's user-private groups stay allowed).
    /// `stickyIsSafe`: a world-writable folder with the sticky bit (/tmp) protects the files
    /// already in it, which is enough for the folder of a library a plugin link points to.
    static func permissionProblem(_ path: String, stickyIsSafe: Bool = false) -> String? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }  // the load itself will say what is wrong
        let mode = "mode 0" + String(s.st_mode & 0o7777, radix: 8)
        if s.st_uid != 0 && s.st_uid != geteuid() {
            return "owned by user \(s.st_uid), neither you nor root (\(mode))"
        }
        if stickyIsSafe && (s.st_mode & S_ISVTX) != 0 { return nil }
        if (s.st_mode & S_IWOTH) != 0 { return "writable by every user (\(mode))" }
        if (s.st_mode & S_IWGRP) != 0 {
            let ownGroup = getpwuid(s.st_uid).map { $0.pointee.pw_gid }
            if ownGroup != s.st_gid { return "writable by group \(s.st_gid), not only its owner (\(mode))" }
        }
        return nil
    }

    /// The permission problem of a candidate file: the file itself (through links), and the
    /// folder of the file a link points to.
    static func filePermissionProblem(_ path: String) -> PluginLoadError? {
        if let p = permissionProblem(path) { return .unsafeFile(path: path, problem: p) }
        let real = URL(fileURLWithPath: path).resolvingSymlinksInPath()
        let folder = real.deletingLastPathComponent().path
        if real.path != path, let p = permissionProblem(folder, stickyIsSafe: true) {
            return .unsafeFile(path: path, problem: "links to \(real.path), whose folder is \(p)")
        }
        return nil
    }

    /// Loads one library. It must export `repro_plugin_abi` (checked first) and
    /// `repro_plugin_entry`.
    public static func load(path: String) throws -> LoadedPlugin {
        if let problem = ELFCheck.problem(path) {
            throw PluginLoadError.cannotOpen(path: path, reason: problem)
        }
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown error"
            // dlerror repeats the path; keep only what follows it.
            let short = reason.components(separatedBy: ": ").last ?? reason
            throw PluginLoadError.cannotOpen(path: path, reason: short)
        }
        // The ABI number first: a plugin of another ABI may name its entry differently.
        guard let abiSymbol = dlsym(handle, "repro_plugin_abi") else {
            throw PluginLoadError.notAPlugin(path: path)
        }
        typealias ABI = @convention(c) () -> Int32
        typealias Entry = @convention(c) () -> UnsafeMutableRawPointer?
        let abi = unsafeBitCast(abiSymbol, to: ABI.self)()
        guard abi == reproPluginABIVersion else {
            throw PluginLoadError.abiMismatch(path: path, found: abi, expected: reproPluginABIVersion)
        }
        guard let entrySymbol = dlsym(handle, "repro_plugin_entry") else {
            throw PluginLoadError.notAPlugin(path: path)
        }
        guard let raw = unsafeBitCast(entrySymbol, to: Entry.self)(),
              let plugin = Unmanaged<AnyObject>.fromOpaque(raw).takeRetainedValue() as? PaperPlugin else {
            throw PluginLoadError.badEntry(path: path)
        }
        return LoadedPlugin(plugin: plugin, path: path)
    }

    /// Loads every plugin on the search path. A bad library is reported and skipped; the
    /// others still load. The first library with a given paper id wins. A folder or file that
    /// other users may write is refused; with a `probe`, each library is first loaded in a
    /// child process (its verdict cached), and one that crashes there is reported, not loaded.
    public static func loadAll(explicit: String? = nil, probe: PluginProbe? = nil)
        -> (plugins: [LoadedPlugin], errors: [PluginLoadError]) {
        var plugins: [LoadedPlugin] = [], errors: [PluginLoadError] = []
        var byID: [String: String] = [:]
        var seenFiles = Set<String>()
        var isFolder: ObjCBool = false
        if let explicit, !(FileManager.default.fileExists(atPath: explicit, isDirectory: &isFolder) && isFolder.boolValue) {
            errors.append(.notAFolder(path: explicit))
        }
        for dir in searchPath(explicit: explicit) {
            let found = candidates(in: dir)
            if !found.isEmpty, let p = permissionProblem(dir) {
                errors.append(.unsafeFolder(path: dir, problem: p))
                continue
            }
            for path in found {
                let name = URL(fileURLWithPath: path).lastPathComponent
                // The same library in two folders of the path: the first one wins quietly.
                guard seenFiles.insert(name).inserted else { continue }
                if let unsafe = filePermissionProblem(path) {
                    errors.append(unsafe)
                    continue
                }
                // A truncated file is refused by `load` in one line; no probe needed for it.
                if let probe, ELFCheck.problem(path) == nil, let crash = probe.problem(path) {
                    errors.append(crash)
                    continue
                }
                do {
                    let loaded = try load(path: path)
                    if let first = byID[loaded.plugin.id] {
                        errors.append(.duplicateID(id: loaded.plugin.id, path: path, first: first))
                        continue
                    }
                    byID[loaded.plugin.id] = path
                    plugins.append(loaded)
                    for task in loaded.plugin.tasks {
                        if let problem = task.configProblem {
                            errors.append(.badConfig(path: path, task: task.name, problem: problem.description))
                        }
                    }
                } catch let e as PluginLoadError {
                    errors.append(e)
                } catch {
                    errors.append(.cannotOpen(path: path, reason: "\(error)"))
                }
            }
        }
        return (plugins, errors)
    }
}
