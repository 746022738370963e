import XCTest
import Foundation
import ReproKit

/// The real `repro` with a plugin folder holding SelfTest and a library that aborts while it
/// loads: `list` and `run` go on, with one warning line, because each new library is loaded
/// first in a child `repro probe-plugin`; a loose plugin folder is one line too.
final class CLIPluginSafetyTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: OneCopyTests.buildDir + "/repro"), "build first: scripts/build")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "no C compiler")
        dir = URL(fileURLWithPath: try makeTemporaryFolder("repro-plugin-safety"))
    }

    override func tearDownWithError() throws {
        if let dir {
            chmod(dir.appendingPathComponent("plugins").path, 0o755)
            try? FileManager.default.removeItem(at: dir)
        }
    }

    /// A plugin folder with SelfTest (a link to the build's) and libAborts.so, whose entry
    /// point calls abort().
    private func pluginFolder() throws -> (folder: URL, aborts: String) {
        let folder = dir.appendingPathComponent("plugins")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent("libSelfTest.so").path,
                                                   withDestinationPath: OneCopyTests.buildDir + "/libSelfTest.so")
        let source = dir.appendingPathComponent("aborts.c")
        try """
            #include <stdlib.h>
            int repro_plugin_abi(void) { return \(reproPluginABIVersion); }
            void *repro_plugin_entry(void) { abort(); }
            """.write(to: source, atomically: true, encoding: .utf8)
        let aborts = folder.appendingPathComponent("libAborts.so").path
        let cc = Process()
        cc.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        cc.arguments = ["-shared", "-fPIC", "-o", aborts, source.path]
        try cc.run()
        cc.waitUntilExit()
        XCTAssertEqual(cc.terminationStatus, 0)
        return (folder, aborts)
    }

    private func repro(_ args: [String], plugins: URL) throws -> CLITests.Output {
        try CLITests.Running(args + ["--plugins", plugins.path, "--papers", CLITests.fixturePapers,
                                     "--artifacts", dir.appendingPathComponent("artifacts").path],
                             papers: CLITests.fixturePapers, artifacts: dir, env: ["REPRO_CACHE": dir.appendingPathComponent("cache").path],
                             locations: false).wait()
    }

    /// The lines of stderr about files in this test's folder.
    private func linesAboutThisFolder(_ o: CLITests.Output) -> [String] {
        o.stderr.split(separator: "\n").map(String.init).filter { $0.contains(dir.path) }
    }

    func testACrashingPluginIsOneLineAndListAndRunGoOn() throws {
        let (folder, aborts) = try pluginFolder()
        let warning = "warning: \(aborts): crashed while loading (killed by SIGABRT), so it was not loaded; "
            + "fix or rebuild the plugin, or remove it from the plugin folder"
        let list = try repro(["list"], plugins: folder)
        XCTAssertEqual(list.status, 0, list.stdout + list.stderr)
        XCTAssertEqual(linesAboutThisFolder(list), [warning], list.stderr)
        XCTAssertTrue(list.stdout.contains("selftest 1.0 (\(folder.path)/libSelfTest.so)"), list.stdout)
        XCTAssertFalse(list.stderr.contains("Fatal") || list.stderr.contains("Aborted"), list.stderr)

        // The verdict is cached: the second command says the same from the cache.
        let cache = dir.appendingPathComponent("cache/plugin-probes")
        let entries = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        XCTAssertGreaterThanOrEqual(entries.count, 2, "\(entries)")
        let verdicts = try entries.map { try String(contentsOf: cache.appendingPathComponent($0), encoding: .utf8) }
        XCTAssertEqual(verdicts.filter { $0.contains("killed by SIGABRT") }.count, 1, "\(verdicts)")

        let run = try repro(["run", "selftest-mini", "--quick", "--threads", "1"], plugins: folder)
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertEqual(linesAboutThisFolder(run).filter { $0.hasPrefix("warning: ") }, [warning], run.stderr)
        XCTAssertTrue(run.stdout.contains("\nPASS\n"), run.stdout)
        let after = try entries.map { try String(contentsOf: cache.appendingPathComponent($0), encoding: .utf8) }
        XCTAssertEqual(after, verdicts, "a cached verdict was probed again")
    }

    func testALoosePluginFolderIsOneLine() throws {
        let (folder, _) = try pluginFolder()
        XCTAssertEqual(chmod(folder.path, 0o777), 0)
        let list = try repro(["list"], plugins: folder)
        XCTAssertEqual(list.status, 0, list.stdout + list.stderr)
        XCTAssertEqual(linesAboutThisFolder(list), [
            "warning: \(folder.path): plugin folder writable by every user (mode 0777), so none of its plugins was loaded; "
                + "chmod go-w it, or move the plugins elsewhere"], list.stderr)
        // Nothing in the folder was probed or loaded.
        let cache = dir.appendingPathComponent("cache/plugin-probes")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: cache.path)) ?? [] {
            let verdict = try String(contentsOf: cache.appendingPathComponent(name), encoding: .utf8)
            XCTAssertFalse(verdict.contains("libAborts"), verdict)
        }
        XCTAssertFalse(list.stdout.contains(folder.path), list.stdout)
    }
}
