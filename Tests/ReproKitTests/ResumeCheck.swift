import XCTest
import Foundation
import ReproKit

/// The Ctrl-C + resume check the plugins share: interrupt `args` after three log records,
/// resume it, run it again uninterrupted, and require the two final checkpoints to be equal in
/// every tensor, optimizer tensor, random stream, task tensor (an EMA), task string and integer,
/// and metric. Returns the two checkpoints (resumed, uninterrupted) for plugin-specific checks.
enum ResumeCheck {
    static func interruptResumeAndCompare(_ args: [String], experiment: String, artifacts: URL, exitStatus: Int32,
                                          file: StaticString = #filePath, line: UInt = #line) throws
        -> (resumed: CheckpointContents, reference: CheckpointContents) {
        func run(_ a: [String]) throws -> CLITests.Output {
            try CLITests.Running(a, papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
        }
        let running = try CLITests.Running(args, papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:])
        CLITests.waitUntilLogged(running, records: 3, in: artifacts.appendingPathComponent(experiment), timeout: 120)
        XCTAssertTrue(running.process.isRunning, "the run ended before it could be interrupted", file: file, line: line)
        kill(running.process.processIdentifier, SIGINT)
        let stopped = running.wait()
        XCTAssertEqual(stopped.status, 130, stopped.stdout + stopped.stderr, file: file, line: line)
        let folder = try XCTUnwrap(stopped.runFolder, stopped.stdout, file: file, line: line)
        let resumed = try run(["resume", folder.path])
        XCTAssertEqual(resumed.status, exitStatus, resumed.stdout + resumed.stderr, file: file, line: line)
        XCTAssertTrue(resumed.stdout.contains("from step"), resumed.stdout, file: file, line: line)

        let reference = try run(args)
        XCTAssertEqual(reference.status, exitStatus, reference.stdout + reference.stderr, file: file, line: line)
        let a = try Checkpoint.read(from: RunFolder(url: folder).checkpoint)
        let b = try Checkpoint.read(from: RunFolder(url: XCTUnwrap(reference.runFolder, file: file, line: line)).checkpoint)
        XCTAssertEqual(a.step, b.step, file: file, line: line)
        XCTAssertGreaterThan(a.step, 0, file: file, line: line)
        let bt = Dictionary(uniqueKeysWithValues: b.tensors)
        XCTAssertEqual(a.tensors.map(\.0).sorted(), bt.keys.sorted(), file: file, line: line)
        for (name, t) in a.tensors {
            XCTAssertEqual(t.scalars, bt[name]?.scalars, "\(name) differs after resume", file: file, line: line)
        }
        XCTAssertEqual(a.optimizerTensors.keys.sorted(), b.optimizerTensors.keys.sorted(), file: file, line: line)
        for (name, t) in a.optimizerTensors {
            XCTAssertEqual(t.scalars, b.optimizerTensors[name]?.scalars, "optimizer \(name) differs after resume",
                           file: file, line: line)
        }
        XCTAssertEqual(a.rng, b.rng, file: file, line: line)
        XCTAssertEqual(a.task.strings, b.task.strings, file: file, line: line)
        XCTAssertEqual(a.task.integers, b.task.integers, file: file, line: line)
        XCTAssertEqual(a.task.tensors.keys.sorted(), b.task.tensors.keys.sorted(), file: file, line: line)
        for (name, t) in a.task.tensors {
            XCTAssertEqual(t.scalars, b.task.tensors[name]?.scalars, "task tensor \(name) differs after resume",
                           file: file, line: line)
        }
        XCTAssertEqual(a.metrics, b.metrics, file: file, line: line)
        return (a, b)
    }
}
