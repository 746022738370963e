/// Checkpoints: plain HDF5 files that h5py reads, written atomically, loaded strictly.
///
/// Format (version 2; version 1 had no `task/` group and is read as a checkpoint without one):
///
///     /                           root group
///       @format          "repro-checkpoint"   the magic; anything else is not ours
///       @format_version  2 (int64)            readers refuse newer versions
///       @plugin, @plugin_version, @experiment  strings
///       @config          the resolved run config, a JSON string
///       @created         ISO 8601 date and time of writing
///       layer1.0.conv1.weight                  float32, the tensor's shape
///       …                                      one dataset per parameter and buffer, named
///                                              verbatim by its state_dict name (dots are part
///                                              of the name, not groups: f["fc.weight"] in h5py)
///       optimizer/                             group
///         @<name>        float64               optimizer scalars (step count, …)
///         <name>                               float32 optimizer tensors (momentum.fc.weight, …)
///       rng/                                   group
///         <name>         uint64 [2]            an RNG's state: [key, counter]; model.<module
///                                              path>.<stream> for modules' streams, task.<name>
///                                              for the task's own
///       task/                                  group: the task's state beyond the model
///         @<name>        int64                 integers
///         tensors/<name> float32               extra state dicts (ema.fc.weight, …)
///         strings/<name> UTF-8 string          e.g. a vocabulary
///       progress/                              group
///         step, epoch    int64 scalars
///         @<metric>      float64               metrics of the last/best evaluation
///         window_sums/   group: @<metric> float64  the training log's open interval: each
///         window_counts/ group: @<metric> int64    metric's sum and count over the steps since
///                                              the last logged record (absent when none), so
///                                              that a resumed run logs the means an
///                                              uninterrupted one does
///
/// All numbers are little-endian. Datasets anywhere but under `optimizer/`, `rng/`, `task/`
/// and `progress/` are model tensors, named by their path (so a foreign file whose names are
/// groups still reads, and `renames:` can map it). With several optimizers, each one's names
/// in `optimizer/` start with its name and a dot (`generator.exp_avg.fc.weight`). The four
/// groups may be absent (empty, step 0). A file is written to `<name>.tmp-<pid>` beside the target, fsynced,
/// renamed over the target and the directory fsynced: a crash or a full disk leaves the
/// previous checkpoint as it was.
import Foundation

/// Who wrote a checkpoint, and from what config.
public struct CheckpointMetadata: Equatable, Sendable {
    public var plugin: String
    public var pluginVersion: String
    public var experiment: String
    /// The resolved run config as JSON.
    public var configJSON: String
    /// ISO 8601; `Checkpoint.write` fills in the current time when empty.
    public var created: String

    public init(plugin: String, pluginVersion: String, experiment: String, configJSON: String,
                created: String = "") {
        self.plugin = plugin
        self.pluginVersion = pluginVersion
        self.experiment = experiment
        self.configJSON = configJSON
        self.created = created
    }
}

/// Everything one checkpoint holds. Optimizer tensors and scalars are opaque here: the
/// optimizer names them and reads them back.
public struct CheckpointContents {
    /// Parameters and buffers by state_dict name, in state_dict order (`module.stateDict()`).
    public var tensors: [(String, Tensor)]
    public var optimizerTensors: [String: Tensor]
    public var optimizerScalars: [String: Double]
    public var rng: [String: RNG]
    /// The task's own state (its RNG streams live in `rng` as `task.<name>`).
    public var task: TaskState
    public var step: Int
    public var epoch: Int
    /// Metrics of the last (or best) evaluation.
    public var metrics: [String: Double]
    /// The training log's open interval: per metric, the sum and the number of steps since
    /// the last logged record (empty at a logged step, so at every epoch's end).
    public var logWindowSums: [String: Double] = [:]
    public var logWindowCounts: [String: Int] = [:]
    public var metadata: CheckpointMetadata

    public init(tensors: [(String, Tensor)], metadata: CheckpointMetadata,
                optimizerTensors: [String: Tensor] = [:], optimizerScalars: [String: Double] = [:],
                rng: [String: RNG] = [:], task: TaskState = TaskState(), step: Int = 0, epoch: Int = 0,
                metrics: [String: Double] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
        self.optimizerTensors = optimizerTensors
        self.optimizerScalars = optimizerScalars
        self.rng = rng
        self.task = task
        self.step = step
        self.epoch = epoch
        self.metrics = metrics
    }
}

/// A checkpoint's shape disagreeing with the model's, for one tensor (module naming).
public struct ShapeMismatch: Equatable, Sendable {
    public let name: String
    public let checkpoint: [Int]
    public let module: [Int]

    public init(name: String, checkpoint: [Int], module: [Int]) {
        self.name = name
        self.checkpoint = checkpoint
        self.module = module
    }
}

/// Why a checkpoint could not be written, read or loaded; each says what to do.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    case notACheckpoint(path: String, found: String?)
    case newerFormat(path: String, version: Int, supported: Int)
    case malformed(path: String, problem: String)
    case invalidName(String, problem: String)
    case writeFailed(path: String, reason: String)
    /// Strict load: names of the module missing from the checkpoint, checkpoint names the
    /// module lacks (after renames), and shape disagreements.
    case mismatch(missing: [String], unexpected: [String], wrongShape: [ShapeMismatch])
    /// Rename-map keys that are not names in the checkpoint.
    case unknownRenames([String])

    public var description: String {
        switch self {
        case .notFound(let path):
            return "no checkpoint at \(path); check the path (or train first)"
        case .unreadable(let path, let reason):
            return "\(path) is not a readable HDF5 file (truncated or corrupt?): \(reason); "
                + "re-run or pick another checkpoint"
        case .notACheckpoint(let path, let found):
            let saw = found.map { "its format attribute is \"\($0)\"" } ?? "it has no format attribute"
            return "\(path) is not a repro checkpoint (\(saw), expected \"\(Checkpoint.magic)\"); "
                + "pick a checkpoint written by repro"
        case .newerFormat(let path, let version, let supported):
            return "\(path) was written by a newer repro (format \(version), this one reads ≤ \(supported)): "
                + "rebuild repro"
        case .malformed(let path, let problem):
            return "\(path) is a damaged repro checkpoint: \(problem); re-run or pick another checkpoint"
        case .invalidName(let name, let problem):
            return "cannot save \"\(name)\" in a checkpoint: \(problem); rename it"
        case .writeFailed(let path, let reason):
            return "cannot write checkpoint \(path): \(reason); the previous checkpoint is unchanged"
        case .mismatch(let missing, let unexpected, let wrongShape):
            var parts: [String] = []
            if !missing.isEmpty { parts.append("missing from the checkpoint: \(list(missing))") }
            if !unexpected.isEmpty { parts.append("not in the model: \(list(unexpected))") }
            if !wrongShape.isEmpty {
                parts.append("wrong shape: " + list(wrongShape.map {
                    "\($0.name) (checkpoint \($0.checkpoint), model \($0.module))"
                }))
            }
            let fix = missing.isEmpty && unexpected.isEmpty
                ? "build the model with the checkpoint's config"
                : "for a foreign checkpoint, map its names with renames: [checkpoint name: model name]"
            return "checkpoint does not fit the model: \(parts.joined(separator: "; ")); \(fix)"
        case .unknownRenames(let names):
            return "renames: not names in the checkpoint: \(list(names)); fix the rename map"
        }
    }
}

/// Up to five items, then how many more.
private func list(_ items: [String]) -> String {
    let shown = items.prefix(5).joined(separator: ", ")
    return items.count > 5 ? "\(shown) (+\(items.count - 5) more)" : shown
}

public enum Checkpoint {
    /// The root `format` attribute of every repro checkpoint.
    public static let magic = "repro-checkpoint"
    /// The format this build writes, and the newest it reads.
    public static let formatVersion = 2

    static let reservedGroups: Set<String> = ["optimizer", "rng", "task", "progress"]
    private static let writeLock = NSLock()

    /// Writes `contents` to `url` atomically: on any failure the temp file is removed and an
    /// existing checkpoint at `url` is left byte for byte as it was.
    public static func write(_ contents: CheckpointContents, to url: URL) throws {
        try validateNames(contents)
        writeLock.lock()
        defer { writeLock.unlock() }
        let target = url.path
        let temp = AtomicWrite.temporary(for: url).path
        do {
            let file = try HDF5File(temp, mode: .create)
            try fill(file, contents)
            try file.close(sync: true)
            if rename(temp, target) != 0 { throw WriteStepFailed(reason: "rename: \(errnoText())") }
        } catch {
            unlink(temp)
            switch error {
            case let e as HDF5Error:
                throw CheckpointError.writeFailed(path: target, reason: "\(e.operation): \(e.reason)")
            case let e as WriteStepFailed:
                throw CheckpointError.writeFailed(path: target, reason: e.reason)
            default:
                throw error
            }
        }
        AtomicWrite.syncFolder(url.deletingLastPathComponent().path)
    }

    /// What `childMain` prints once a read returned.
    static let readMarker = "repro-check-checkpoint: read"

    /// What the child process of `repro check-checkpoint PATH` runs: reads the checkpoint (a
    /// damaged one may kill the process inside libhdf5) and prints the marker when the read
    /// returned, whatever it returned (the parent's own read reports a refusal).
    public static func childMain(path: String) -> Never {
        _ = try? read(from: URL(fileURLWithPath: path))
        print(readMarker)
        fflush(stdout)
        _exit(0)
    }

    /// Reads the checkpoint at `url`, checking its magic and format version.
    public static func read(from url: URL) throws -> CheckpointContents {
        let path = url.path
        guard FileManager.default.fileExists(atPath: path) else { throw CheckpointError.notFound(path: path) }
        do {
            let file = try HDF5File(path, mode: .read)
            let attrs = try file.attributes()
            guard case .string(Checkpoint.magic)? = attrs["format"] else {
                var found: String? = nil
                if let f = attrs["format"] {
                    if case .string(let s) = f { found = s } else { found = "\(f)" }
                }
                throw CheckpointError.notACheckpoint(path: path, found: found)
            }
            guard case .int(let version)? = attrs["format_version"], version >= 1 else {
                throw CheckpointError.malformed(path: path, problem: "format_version is missing or not a positive int")
            }
            if version > formatVersion {
                throw CheckpointError.newerFormat(path: path, version: version, supported: formatVersion)
            }
            func string(_ key: String) -> String {
                if case .string(let s)? = attrs[key] { return s }
                return ""
            }
            let metadata = CheckpointMetadata(plugin: string("plugin"), pluginVersion: string("plugin_version"),
                                              experiment: string("experiment"), configJSON: string("config"),
                                              created: string("created"))
            var c = CheckpointContents(tensors: [], metadata: metadata)
            for d in try file.datasets() {
                let parts = d.name.split(separator: "/", maxSplits: 1).map(String.init)
                guard parts.count == 2, reservedGroups.contains(parts[0]) else {
                    c.tensors.append((d.name, try file.readTensor(d.name)))
                    continue
                }
                switch parts[0] {
                case "optimizer":
                    c.optimizerTensors[parts[1]] = try file.readTensor(d.name)
                case "rng":
                    let v = try file.readUInt64s(d.name)
                    guard v.count == 2 else {
                        throw CheckpointError.malformed(path: path, problem: "\(d.name) has shape \(d.shape), not [2]")
                    }
                    c.rng[parts[1]] = RNG(key: v[0], counter: v[1])
                case "task":
                    if parts[1].hasPrefix("tensors/") {
                        c.task.tensors[String(parts[1].dropFirst(8))] = try file.readTensor(d.name)
                    } else if parts[1].hasPrefix("strings/") {
                        c.task.strings[String(parts[1].dropFirst(8))] = try file.readString(d.name)
                    } else {
                        throw CheckpointError.malformed(path: path, problem: "\(d.name) is neither under task/tensors/ nor task/strings/")
                    }
                default:
                    break  // progress/step and progress/epoch, read below
                }
            }
            if file.exists("optimizer") { c.optimizerScalars = try numbers(file.attributes(of: "optimizer")) }
            if file.exists("task") {
                for (name, v) in try file.attributes(of: "task") {
                    guard case .int(let i) = v else {
                        throw CheckpointError.malformed(path: path, problem: "task attribute '\(name)' is not an integer")
                    }
                    c.task.integers[name] = i
                }
            }
            if file.exists("progress") {
                c.metrics = try numbers(file.attributes(of: "progress"))
                if file.exists("progress/step") { c.step = try file.readInt64("progress/step") }
                if file.exists("progress/epoch") { c.epoch = try file.readInt64("progress/epoch") }
                if file.exists("progress/window_sums") { c.logWindowSums = try numbers(file.attributes(of: "progress/window_sums")) }
                if file.exists("progress/window_counts") {
                    for (name, v) in try file.attributes(of: "progress/window_counts") {
                        guard case .int(let n) = v else {
                            throw CheckpointError.malformed(path: path, problem: "progress/window_counts/@\(name) is not an integer")
                        }
                        c.logWindowCounts[name] = n
                    }
                }
            }
            try file.close()
            return c
        } catch let e as HDF5Error {
            throw CheckpointError.unreadable(path: path, reason: e.operation + (e.reason.isEmpty ? "" : ": \(e.reason)"))
        }
    }

    /// Copies a checkpoint's tensors into `module`'s parameters and buffers, in place.
    ///
    /// Strict: every state_dict name of the module must be in the checkpoint with the same
    /// shape, and every checkpoint tensor must be used. `renames` maps checkpoint names to
    /// module names for checkpoints from elsewhere (unmapped names stay as they are). Nothing
    /// is copied unless everything fits.
    public static func load(_ contents: CheckpointContents, into module: Module,
                            renames: [String: String] = [:]) throws {
        let names = Set(contents.tensors.map(\.0))
        let unknown = renames.keys.filter { !names.contains($0) }.sorted()
        if !unknown.isEmpty { throw CheckpointError.unknownRenames(unknown) }

        let state = module.stateDict()
        let target = Dictionary(state, uniquingKeysWith: { first, _ in first })
        var source: [String: Tensor] = [:]
        var unexpected: [String] = []
        var wrongShape: [ShapeMismatch] = []
        for (ckptName, t) in contents.tensors {
            let name = renames[ckptName] ?? ckptName
            guard let m = target[name], source[name] == nil else { unexpected.append(ckptName); continue }
            source[name] = t
            if m.shape != t.shape { wrongShape.append(ShapeMismatch(name: name, checkpoint: t.shape, module: m.shape)) }
        }
        let missing = state.map(\.0).filter { source[$0] == nil }
        if !missing.isEmpty || !unexpected.isEmpty || !wrongShape.isEmpty {
            throw CheckpointError.mismatch(missing: missing, unexpected: unexpected, wrongShape: wrongShape)
        }
        for (name, t) in state { t.assign(source[name]!) }
    }

    // MARK: Writing

    private static func validateNames(_ c: CheckpointContents) throws {
        func check(_ name: String, _ whereIn: String) throws {
            if name.isEmpty { throw CheckpointError.invalidName(name, problem: "empty \(whereIn) name") }
            if name.contains("/") {
                throw CheckpointError.invalidName(name, problem: "a \(whereIn) name cannot contain \"/\"")
            }
            if name == "." { throw CheckpointError.invalidName(name, problem: "\".\" is HDF5's current group") }
        }
        for (name, _) in c.tensors {
            try check(name, "tensor")
            if reservedGroups.contains(name) {
                throw CheckpointError.invalidName(name, problem: "the root group \"\(name)/\" has this name")
            }
        }
        for name in c.optimizerTensors.keys { try check(name, "optimizer tensor") }
        for name in c.rng.keys { try check(name, "RNG") }
        for name in c.task.tensors.keys { try check(name, "task tensor") }
        for name in c.task.strings.keys { try check(name, "task string") }
        for name in c.task.integers.keys where name.isEmpty {
            throw CheckpointError.invalidName(name, problem: "empty task integer name")
        }
        if !c.task.rng.isEmpty {
            throw CheckpointError.invalidName(c.task.rng.keys.sorted()[0], problem: "task RNG streams belong in rng/ as task.<name>")
        }
        for name in c.optimizerScalars.keys where name.isEmpty {
            throw CheckpointError.invalidName(name, problem: "empty optimizer scalar name")
        }
        for name in Array(c.metrics.keys) + c.logWindowSums.keys + c.logWindowCounts.keys where name.isEmpty {
            throw CheckpointError.invalidName(name, problem: "empty metric name")
        }
    }

    private static func fill(_ f: HDF5File, _ c: CheckpointContents) throws {
        let m = c.metadata
        let created = m.created.isEmpty ? ISO8601DateFormatter().string(from: Date()) : m.created
        let root: [(String, HDF5Attribute)] = [
            ("format", .string(magic)), ("format_version", .int(formatVersion)),
            ("plugin", .string(m.plugin)), ("plugin_version", .string(m.pluginVersion)),
            ("experiment", .string(m.experiment)), ("config", .string(m.configJSON)),
            ("created", .string(created)),
        ]
        for (k, v) in root { try f.setAttribute(k, v) }
        for (name, t) in c.tensors { try f.write(t, to: name) }

        // Dictionaries are written sorted, so equal contents give equal files.
        try f.createGroup("optimizer")
        for (name, t) in c.optimizerTensors.sorted(by: { $0.key < $1.key }) {
            try f.write(t, to: "optimizer/\(name)")
        }
        for (name, v) in c.optimizerScalars.sorted(by: { $0.key < $1.key }) {
            try f.setAttribute(name, .double(v), on: "optimizer")
        }
        try f.createGroup("rng")
        for (name, r) in c.rng.sorted(by: { $0.key < $1.key }) {
            try f.writeUInt64s([r.key, r.counter], shape: [2], to: "rng/\(name)")
        }
        try f.createGroup("task")
        try f.createGroup("task/tensors")
        for (name, t) in c.task.tensors.sorted(by: { $0.key < $1.key }) { try f.write(t, to: "task/tensors/\(name)") }
        try f.createGroup("task/strings")
        for (name, text) in c.task.strings.sorted(by: { $0.key < $1.key }) { try f.writeString(text, to: "task/strings/\(name)") }
        for (name, v) in c.task.integers.sorted(by: { $0.key < $1.key }) { try f.setAttribute(name, .int(v), on: "task") }
        try f.createGroup("progress")
        try f.writeInt64(c.step, to: "progress/step")
        try f.writeInt64(c.epoch, to: "progress/epoch")
        for (name, v) in c.metrics.sorted(by: { $0.key < $1.key }) {
            try f.setAttribute(name, .double(v), on: "progress")
        }
        if !c.logWindowCounts.isEmpty {
            try f.createGroup("progress/window_sums")
            try f.createGroup("progress/window_counts")
            for (name, v) in c.logWindowSums.sorted(by: { $0.key < $1.key }) {
                try f.setAttribute(name, .double(v), on: "progress/window_sums")
            }
            for (name, n) in c.logWindowCounts.sorted(by: { $0.key < $1.key }) {
                try f.setAttribute(name, .int(n), on: "progress/window_counts")
            }
        }
    }

    private static func numbers(_ attrs: [String: HDF5Attribute]) -> [String: Double] {
        attrs.compactMapValues {
            switch $0 {
            case .double(let v): return v
            case .int(let v): return Double(v)
            case .string: return nil
            }
        }
    }

    /// A file-system step of `write` that failed (becomes `CheckpointError.writeFailed`).
    private struct WriteStepFailed: Error { let reason: String }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
