import Foundation

/// `artifacts/<experiment>/<run-id>/`: everything one run writes.
///
///     config.json     the resolved config, seed, git commit, machine and versions
///     metrics.jsonl   one line per logged training interval and evaluation
///     summary.json    final metrics, each assertion with its verdict
///     checkpoint.h5   latest state (atomic); best.h5 at the best evaluation
///     curves.png      loss and metrics against steps
///     report.md       all of it for a reader, with the pictures
public struct RunFolder {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// A new folder `<root>/<experiment>/<yyyyMMdd-HHmmss>-s<seed>[-quick]`, made unique.
    public static func create(root: URL, experiment: String, seed: UInt64, quick: Bool) throws -> RunFolder {
        try create(root: root.appendingPathComponent(experiment), name: "\(timestamp())-s\(seed)\(quick ? "-quick" : "")")
    }

    /// A new folder `<parent>/<name>`, with `-2`, `-3`, … appended if the name is taken.
    public static func create(root parent: URL, name base: String) throws -> RunFolder {
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        var name = base, n = 1
        while FileManager.default.fileExists(atPath: parent.appendingPathComponent(name).path) {
            n += 1; name = "\(base)-\(n)"
        }
        let url = parent.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        return RunFolder(url: url)
    }

    /// The current UTC time as `yyyyMMdd-HHmmss`: run folders sort by it.
    public static func timestamp() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f.string(from: Date())
    }

    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    public var config: URL { file("config.json") }
    public var metrics: URL { file("metrics.jsonl") }
    public var summary: URL { file("summary.json") }
    public var checkpoint: URL { file("checkpoint.h5") }
    public var best: URL { file("best.h5") }
    public var curves: URL { file("curves.png") }
    public var report: URL { file("report.md") }

    /// Writes an Encodable as pretty JSON, atomically.
    public func writeJSON<T: Encodable>(_ value: T, to name: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicWrite.write(enc.encode(value), to: file(name))
    }

    public func readJSON<T: Decodable>(_ type: T.Type, from name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: file(name)))
    }
}

/// What `config.json` records: enough to re-run and to know where a number came from.
public struct RunRecord: Codable, Equatable {
    public var experiment: String
    public var paper: String
    public var plugin: String
    public var pluginVersion: String
    public var task: String
    public var seed: UInt64
    public var quick: Bool
    public var threads: Int
    public var overrides: [String]
    /// The task config after defaults, card, quick variant, variant and --set.
    public var config: [String: String]
    public var configJSON: String
    /// The card variant this run trains, if any.
    public var variant: String?
    public var gitCommit: String
    public var machine: String
    public var versions: [String: String]
    public var started: String
    /// The data sets the task trained and evaluated on, as they describe themselves.
    public var data: [DatasetDescription]?
}

/// Facts about where a run ran.
public enum Provenance {
    /// The git commit of the source tree this binary was built from, with "+dirty" when it
    /// had uncommitted changes; "unknown" outside a checkout.
    public static func gitCommit() -> String {
        let root = sourceRoot.path
        guard let head = run("/usr/bin/git", ["-C", root, "rev-parse", "--short=12", "HEAD"]) else { return "unknown" }
        let dirty = run("/usr/bin/git", ["-C", root, "status", "--porcelain", "--untracked-files=no"]) ?? ""
        return head + (dirty.isEmpty ? "" : "+dirty")
    }

    /// The repository root recorded at build time.
    public static let sourceRoot: URL = URL(fileURLWithPath: #filePath)   // …/Sources/ReproKit/ReproKit/Run/RunFolder.swift
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The current time, ISO 8601 in UTC.
    public static func now() -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date())
    }

    /// CPU model and core count, and the OS.
    public static func machine() -> String {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let os = (try? String(contentsOfFile: "/etc/os-release", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("PRETTY_NAME=") }?
            .dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) ?? "unknown OS"
        return "\(cpu), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(os)"
    }

    /// Versions of what produced the numbers.
    public static func versions() -> [String: String] {
        var v: [String: String] = ["repro-plugin-abi": "\(reproPluginABIVersion)"]
        #if compiler(>=6.3)
        v["swift-compiler"] = "6.3 or later"
        #else
        v["swift-compiler"] = "before 6.3"
        #endif
        v["openblas"] = OpenBLAS.buildConfig
        v["openblas-core"] = OpenBLAS.coreName + (OpenBLAS.chosenCoreType.map { " (set by repro: OPENBLAS_CORETYPE=\($0))" } ?? "")
        v["conv3x3"] = Conv3x3Direct.kernelName
        return v
    }

    static func run(_ exe: String, _ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
