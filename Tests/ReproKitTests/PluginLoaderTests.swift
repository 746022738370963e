import XCTest
import Foundation
import ReproKit

/// Real bad libraries, built at test time: each gives one line naming the file and what to
/// do, and the good plugins beside them still load.
final class PluginLoaderTests: XCTestCase {
    private var dir: URL!
    private var build: String { OneCopyTests.buildDir }

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("repro-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try XCTSkipUnless(FileManager.default.fileExists(atPath: build + "/libSelfTest.so"), "build the plugins first: scripts/build")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "no C compiler")
    }

    override func tearDownWithError() throws {
        unsetenv("REPRO_PLUGIN_PATH")
        // Folders made unsafe on purpose: safe again, so that they can be removed.
        _ = try? FileManager.default.subpathsOfDirectory(atPath: dir.path).map { chmod(dir.path + "/" + $0, 0o755) }
        try? FileManager.default.removeItem(at: dir)
    }

    /// Compiles C source into `folder/name` as a shared library.
    private func compile(_ source: String, to name: String, in folder: URL) throws -> String {
        let c = folder.appendingPathComponent(name + ".c")
        try source.write(to: c, atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent(name).path
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-shared", "-fPIC", "-o", out, c.path]
        try cc.run()
        cc.waitUntilExit()
        XCTAssertEqual(cc.terminationStatus, 0, "cc failed on \(name)")
        try FileManager.default.removeItem(at: c)
        return out
    }

    private func abiLibrary(in folder: URL) throws -> String {
        try compile("""
            int repro_plugin_abi(void) { return 999; }
            void *repro_plugin_entry(void) { return 0; }
            """, to: "libFromTheFuture.so", in: folder)
    }

    private func plainLibrary(in folder: URL) throws -> String {
        try compile("int add(int a, int b) { return a + b; }\n", to: "libPlain.so", in: folder)
    }

    private func truncatedLibrary(in folder: URL) throws -> String {
        let whole = try Data(contentsOf: URL(fileURLWithPath: build + "/libResNet.so"))
        let path = folder.appendingPathComponent("libHalfCopied.so").path
        try whole.prefix(4096).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: One library at a time

    func testABIMismatchNamesFileAndSaysRebuild() throws {
        let path = try abiLibrary(in: dir)
        XCTAssertThrowsError(try PluginLoader.load(path: path)) { error in
            XCTAssertEqual(error as? PluginLoadError, .abiMismatch(path: path, found: 999, expected: reproPluginABIVersion))
            XCTAssertEqual("\(error)", "\(path): built for plugin ABI 999, this repro needs \(reproPluginABIVersion); rebuild the plugin with this repro's sources (scripts/build)")
        }
    }

    /// The ABI number is checked before anything else: a plugin of another ABI without this
    /// ABI's entry point is still told to rebuild, not that it is no plugin.
    func testABIIsCheckedBeforeTheEntryPoint() throws {
        let path = try compile("int repro_plugin_abi(void) { return 0; }\n", to: "libOldABI.so", in: dir)
        XCTAssertThrowsError(try PluginLoader.load(path: path)) { error in
            XCTAssertEqual(error as? PluginLoadError, .abiMismatch(path: path, found: 0, expected: reproPluginABIVersion))
        }
    }

    func testLibraryWithoutThePluginSymbolsIsNotAPlugin() throws {
        let path = try plainLibrary(in: dir)
        XCTAssertThrowsError(try PluginLoader.load(path: path)) { error in
            XCTAssertEqual(error as? PluginLoadError, .notAPlugin(path: path))
            XCTAssertEqual("\(error)", "\(path): not a repro plugin (no repro_plugin_abi / repro_plugin_entry symbols); remove it from the plugin folder")
        }
    }

    /// dlopen would die of SIGBUS on this file (its segments lie past the end); the loader
    /// must refuse it first.
    func testTruncatedLibraryCannotBeLoadedAndDoesNotCrash() throws {
        let path = try truncatedLibrary(in: dir)
        XCTAssertThrowsError(try PluginLoader.load(path: path)) { error in
            guard case .cannotOpen(let p, let reason)? = error as? PluginLoadError else {
                return XCTFail("not cannotOpen: \(error)")
            }
            XCTAssertEqual(p, path)
            XCTAssertTrue(reason.hasPrefix("truncated: the file has 4096 bytes, its ELF headers describe "), reason)
            XCTAssertTrue("\(error)".hasPrefix("\(path): cannot be loaded (truncated: "), "\(error)")
            XCTAssertTrue("\(error)".hasSuffix("; is it a complete plugin library? Rebuild it with scripts/build"), "\(error)")
        }
        let text = dir.appendingPathComponent("libNotes.so").path
        try "not a library".write(toFile: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PluginLoader.load(path: text)) { error in
            XCTAssertEqual(error as? PluginLoadError, .cannotOpen(path: text, reason: "not an ELF shared library"))
        }
    }

    /// A named pipe called lib*.so is not a candidate: opening it to read an ELF header would
    /// block `repro list` forever. A link to a real library still is.
    func testOnlyRegularFilesAreCandidates() throws {
        let pipe = dir.appendingPathComponent("libPipe.so").path
        XCTAssertEqual(mkfifo(pipe, 0o644), 0)
        try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("libSelfTest.so").path,
                                                   withDestinationPath: build + "/libSelfTest.so")
        XCTAssertEqual(PluginLoader.candidates(in: dir.path), [dir.appendingPathComponent("libSelfTest.so").path])
    }

    func testGoodPluginLoads() throws {
        let loaded = try PluginLoader.load(path: build + "/libSelfTest.so")
        XCTAssertEqual(loaded.plugin.id, "selftest")
        XCTAssertEqual(loaded.plugin.version, "1.0")
        XCTAssertEqual(loaded.plugin.tasks.map(\.name), ["rings", "gan"])
        XCTAssertEqual(loaded.plugin.tasks[0].defaults.keys,
                       ["epochs", "batch_size", "lr", "hidden", "poison_at_step", "slow_ms"])
    }

    // MARK: A folder of good and bad libraries

    /// The search path: `explicit` holds the good plugins and three bad libraries,
    /// $REPRO_PLUGIN_PATH a copy of SelfTest under another name. Each bad file is one error;
    /// every good plugin loads, once.
    func testBadLibrariesAreReportedOnceEachAndTheGoodOnesStillLoad() throws {
        let first = dir.appendingPathComponent("first"), second = dir.appendingPathComponent("second")
        for d in [first, second] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        // Links, not copies: the same files as the build's, so they are the libraries already loaded.
        for name in ["libResNet.so", "libSelfTest.so"] {
            try FileManager.default.createSymbolicLink(atPath: first.appendingPathComponent(name).path,
                                                       withDestinationPath: build + "/" + name)
        }
        let abi = try abiLibrary(in: first), plain = try plainLibrary(in: first)
        let truncated = try truncatedLibrary(in: first)
        let duplicate = second.appendingPathComponent("libSelfTestCopy.so").path
        try FileManager.default.copyItem(atPath: build + "/libSelfTest.so", toPath: duplicate)
        setenv("REPRO_PLUGIN_PATH", second.path, 1)

        XCTAssertEqual(Array(PluginLoader.searchPath(explicit: first.path).prefix(2)), [first.path, second.path])
        let (plugins, all) = PluginLoader.loadAll(explicit: first.path)
        // Only the files made here: a stale library of a removed plugin may linger in .build.
        let errors = all.filter { $0.description.hasPrefix(dir.path) }
        // The build folder (the binary's own) adds the plugins not linked here (AlexNet, …),
        // but none twice.
        XCTAssertEqual(Set(plugins.map(\.plugin.id)).count, plugins.count, "a plugin loaded twice")
        let here = plugins.filter { $0.path.hasPrefix(dir.path) }
        XCTAssertEqual(here.map(\.plugin.id).sorted(), ["resnet", "selftest"])
        XCTAssertEqual(here.map(\.path).sorted(),
                       [first.appendingPathComponent("libResNet.so").path, first.appendingPathComponent("libSelfTest.so").path])
        XCTAssertEqual(errors.count, 4, errors.map(\.description).joined(separator: "\n"))
        XCTAssertTrue(errors.contains(.abiMismatch(path: abi, found: 999, expected: reproPluginABIVersion)))
        XCTAssertTrue(errors.contains(.notAPlugin(path: plain)))
        XCTAssertTrue(errors.contains { if case .cannotOpen(truncated, _) = $0 { return true } else { return false } })
        let dup = PluginLoadError.duplicateID(id: "selftest", path: duplicate, first: first.appendingPathComponent("libSelfTest.so").path)
        XCTAssertTrue(errors.contains(dup), errors.map(\.description).joined(separator: "\n"))
        XCTAssertEqual(dup.description, "\(duplicate): paper id 'selftest' is already provided by \(first.path)/libSelfTest.so; remove one of the two")
        // Every message is one line that starts with the file it is about.
        for e in errors {
            XCTAssertFalse(e.description.contains("\n"), e.description)
            XCTAssertTrue([abi, plain, truncated, duplicate].contains { e.description.hasPrefix($0 + ": ") }, e.description)
        }
        // The loaded plugins work: SelfTest builds its task.
        let selftest = try XCTUnwrap(plugins.first { $0.plugin.id == "selftest" })
        let task = try selftest.plugin.tasks[0].make(selftest.plugin.tasks[0].defaults, context: RunContext(seed: 0))
        XCTAssertEqual(task.plan.batchesPerEpoch, 20)
    }

    // MARK: Libraries that crash while loading (the probe)

    /// A library whose entry point calls abort(), and one whose ELF constructor exits the
    /// process: loaded in this process, either would end the test run. With the probe, each
    /// is one line and SelfTest beside them loads.
    private func crashingLibraries(in folder: URL) throws -> (aborts: String, exits: String) {
        let aborts = try compile("""
            #include <stdlib.h>
            int repro_plugin_abi(void) { return \(reproPluginABIVersion); }
            void *repro_plugin_entry(void) { abort(); }
            """, to: "libAborts.so", in: folder)
        let exits = try compile("""
            #include <stdlib.h>
            __attribute__((constructor)) static void quit(void) { exit(3); }
            int repro_plugin_abi(void) { return \(reproPluginABIVersion); }
            void *repro_plugin_entry(void) { return 0; }
            """, to: "libExits.so", in: folder)
        return (aborts, exits)
    }

    func testAPluginThatCrashesWhileLoadingIsReportedAndTheOthersLoad() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: build + "/repro"), "build the host first: scripts/build")
        let folder = dir.appendingPathComponent("plugins"), cache = dir.appendingPathComponent("cache")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (aborts, exits) = try crashingLibraries(in: folder)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("libSelfTest.so").path,
                                                   withDestinationPath: build + "/libSelfTest.so")
        let probe = PluginProbe(command: [build + "/repro", PluginProbe.subcommand], cacheFolder: cache.path)
        func load(_ probe: PluginProbe) -> (ids: [String], errors: [PluginLoadError]) {
            let (plugins, all) = PluginLoader.loadAll(explicit: folder.path, probe: probe)
            return (plugins.filter { $0.path.hasPrefix(dir.path) }.map(\.plugin.id), all.filter { $0.description.hasPrefix(dir.path) })
        }
        let first = load(probe)
        XCTAssertEqual(first.ids, ["selftest"])
        XCTAssertEqual(first.errors, [.crashed(path: aborts, how: "killed by SIGABRT"),
                                      .crashed(path: exits, how: "it exited the process with status 3")])
        XCTAssertEqual(first.errors[0].description, "\(aborts): crashed while loading (killed by SIGABRT), so it was not "
            + "loaded; fix or rebuild the plugin, or remove it from the plugin folder")
        // One verdict per library of this folder, cached (the build folder's plugins have theirs).
        let paths = try FileManager.default.contentsOfDirectory(atPath: cache.path).compactMap {
            try (JSONSerialization.jsonObject(with: Data(contentsOf: cache.appendingPathComponent($0))) as? [String: Any])?["path"] as? String
        }
        XCTAssertEqual(paths.filter { $0.hasPrefix(folder.path) }.sorted(), [aborts, exits, folder.path + "/libSelfTest.so"].sorted())

        // A probe that would report every library as killed by SIGTERM: the cached verdicts
        // are used, so it never runs for the unchanged files.
        let liar = PluginProbe(command: ["/bin/sh", "-c", "kill -TERM $$", "sh"], cacheFolder: cache.path)
        XCTAssertEqual(load(liar).errors, first.errors)
        XCTAssertEqual(load(liar).ids, ["selftest"])
        // A rebuilt library (new content, size, mtime) is probed again.
        try FileManager.default.removeItem(atPath: exits)
        _ = try compile("int repro_plugin_abi(void) { return 999; }\n", to: "libExits.so", in: folder)
        XCTAssertEqual(load(liar).errors, [.crashed(path: aborts, how: "killed by SIGABRT"),
                                           .crashed(path: exits, how: "killed by SIGTERM")])
        try FileManager.default.removeItem(at: cache)
        XCTAssertEqual(load(probe).errors, [.crashed(path: aborts, how: "killed by SIGABRT"),
                                            .abiMismatch(path: exits, found: 999, expected: reproPluginABIVersion)])
    }

    // MARK: Plugins other users could have written

    /// As ssh refuses a loose key: a library or a folder that another user may write is
    /// refused in one line, before anything of it is loaded; the rest still loads.
    func testPluginsWritableByOtherUsersAreRefused() throws {
        let folder = dir.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        XCTAssertEqual(chmod(folder.path, 0o755), 0)
        let loose = try abiLibrary(in: folder)         // would be an ABI mismatch if it were read
        let ownGroup = try plainLibrary(in: folder)    // g+w for the owner's own group: allowed
        XCTAssertEqual(chmod(loose, 0o666), 0)
        XCTAssertEqual(chmod(ownGroup, 0o664), 0)
        XCTAssertEqual(chown(ownGroup, geteuid(), getpwuid(geteuid())!.pointee.pw_gid), 0)
        // A link into a world-writable folder without the sticky bit: anyone could swap the target.
        let open = dir.appendingPathComponent("open")
        try FileManager.default.createDirectory(at: open, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: build + "/libSelfTest.so", toPath: open.appendingPathComponent("libSelfTest.so").path)
        XCTAssertEqual(chmod(open.path, 0o777), 0)
        let link = folder.appendingPathComponent("libLinked.so").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: open.path + "/libSelfTest.so")

        var (_, all) = PluginLoader.loadAll(explicit: folder.path)
        var errors = all.filter { $0.description.hasPrefix(dir.path) }
        XCTAssertEqual(errors, [
            .unsafeFile(path: loose, problem: "writable by every user (mode 0666)"),
            .unsafeFile(path: link, problem: "links to \(open.path)/libSelfTest.so, whose folder is writable by every user (mode 0777)"),
            .notAPlugin(path: ownGroup),  // read, so past the permission check
        ])
        XCTAssertEqual(errors.first?.description, "\(loose): writable by every user (mode 0666), so it was not loaded "
            + "(a plugin runs as you); chmod go-w it, or remove it from the plugin folder")

        if geteuid() == 0 {  // only root can give a file away
            XCTAssertEqual(chown(ownGroup, 0, 100), 0)  // group 'users', not root's own
            XCTAssertEqual(chown(loose, 65534, 0), 0)
            XCTAssertEqual(chmod(loose, 0o644), 0)
            (_, all) = PluginLoader.loadAll(explicit: folder.path)
            errors = all.filter { $0.description.hasPrefix(dir.path) }
            XCTAssertTrue(errors.contains(.unsafeFile(path: ownGroup, problem: "writable by group 100, not only its owner (mode 0664)")),
                          errors.map(\.description).joined(separator: "\n"))
            XCTAssertTrue(errors.contains(.unsafeFile(path: loose, problem: "owned by user 65534, neither you nor root (mode 0644)")))
            XCTAssertTrue(errors.first { $0.description.hasPrefix(loose) }!.description.contains("chown it to yourself"))
        }

        // A folder others may write: one line for the folder, nothing of it is loaded.
        XCTAssertEqual(chmod(folder.path, 0o777), 0)
        (_, all) = PluginLoader.loadAll(explicit: folder.path)
        errors = all.filter { $0.description.hasPrefix(dir.path) }
        XCTAssertEqual(errors, [.unsafeFolder(path: folder.path, problem: "writable by every user (mode 0777)")])
        XCTAssertEqual(errors[0].description, "\(folder.path): plugin folder writable by every user (mode 0777), so none of "
            + "its plugins was loaded; chmod go-w it, or move the plugins elsewhere")
    }
}
