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
    /// others still load. The first library with a given paper id wins.
    public static func loadAll(explicit: String? = nil) -> (plugins: [LoadedPlugin], errors: [PluginLoadError]) {
        var plugins: [LoadedPlugin] = [], errors: [PluginLoadError] = []
        var byID: [String: String] = [:]
        var seenFiles = Set<String>()
        var isFolder: ObjCBool = false
        if let explicit, !(FileManager.default.fileExists(atPath: explicit, isDirectory: &isFolder) && isFolder.boolValue) {
            errors.append(.notAFolder(path: explicit))
        }
        for dir in searchPath(explicit: explicit) {
            for path in candidates(in: dir) {
                let name = URL(fileURLWithPath: path).lastPathComponent
                // The same library in two folders of the path: the first one wins quietly.
                guard seenFiles.insert(name).inserted else { continue }
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
