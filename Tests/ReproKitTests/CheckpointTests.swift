import Foundation
import XCTest
import ReproKit

/// Checkpoints: exact round trips, strict loading, atomic writes, clear errors on bad files,
/// and a file h5py reads as written.
final class CheckpointTests: XCTestCase {
    /// A small model with a buffer, a Sequential, and optional parts to build mismatches.
    final class Net: Module {
        @Buffer var runningMean: Tensor?
        let body: Sequential
        let head: Linear
        let extra: Linear?

        init(width: Int = 6, extra: Bool = false, buffer: Bool = true, seed: UInt64) {
            var rng = RNG(seed: seed)
            runningMean = buffer ? Tensor.randn([width], rng: &rng) : nil
            body = Sequential([Linear(4, width, rng: &rng), Linear(width, width, rng: &rng)])
            head = Linear(width, 3, rng: &rng)
            self.extra = extra ? Linear(3, 2, rng: &rng) : nil
            super.init()
        }
    }

    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        _ = chmod(dir.path, 0o755)
        try? FileManager.default.removeItem(at: dir)
    }

    static let metadata = CheckpointMetadata(
        plugin: "resnet", pluginVersion: "1.2", experiment: "resnet-mini/quick",
        configJSON: #"{"lr":0.1,"name":"café ☕","seed":7}"#, created: "2024-05-01T12:00:00Z")

    /// A full checkpoint of `net`: optimizer state (including a scalar and an empty tensor),
    /// two RNGs at extreme values, progress and metrics.
    func contents(of net: Module) -> CheckpointContents {
        var rng = RNG(seed: 99)
        var opt: [String: Tensor] = [:]
        for (name, t) in net.namedParameters() {
            opt["momentum.\(name)"] = Tensor.randn(t.shape, rng: &rng)
        }
        opt["scalar"] = Tensor(scalar: 3.5)
        opt["empty"] = Tensor.zeros([0, 3])
        var dataRNG = RNG(seed: 5)
        _ = dataRNG.next()
        return CheckpointContents(
            tensors: net.stateDict(), metadata: Self.metadata, optimizerTensors: opt,
            optimizerScalars: ["step": 17, "lr": 0.1, "beta1": 0.9],
            rng: ["data": dataRNG, "dropout": RNG(key: .max, counter: 1 << 63)],
            task: Self.taskState, step: 1234, epoch: 7, metrics: ["val/accuracy": 0.875, "loss": 0.3123456789])
    }

    /// Task state with a string longer than an HDF5 attribute may be (64 KiB), Unicode, an
    /// empty string and negative integers.
    static let taskState = TaskState(
        tensors: ["ema.fc.weight": Tensor((0..<6).map { Float($0) - 2.5 }, shape: [2, 3]), "scalar": Tensor(scalar: -1)],
        strings: ["vocabulary": (0..<20_000).map { "tok\($0) ñ€" }.joined(separator: "\n"), "empty": ""],
        integers: ["ema_updates": 17, "offset": -3])

    func bits(_ t: Tensor) -> [UInt32] { t.scalars.map(\.bitPattern) }

    func assertSameTensors(_ a: [(String, Tensor)], _ b: [(String, Tensor)],
                           file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map(\.0), b.map(\.0), file: file, line: line)
        for ((name, x), (_, y)) in zip(a, b) {
            XCTAssertEqual(x.shape, y.shape, name, file: file, line: line)
            XCTAssertEqual(bits(x), bits(y), name, file: file, line: line)
        }
    }

    func bytes(_ url: URL) throws -> Data { try Data(contentsOf: url) }

    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    }

    func expectError(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line)
        -> CheckpointError? {
        do {
            try body()
            XCTFail("expected a CheckpointError, got success", file: file, line: line)
        } catch let e as CheckpointError {
            XCTAssertFalse(e.description.contains("\n"), "error is not one line: \(e)", file: file, line: line)
            return e
        } catch {
            XCTFail("expected a CheckpointError, got \(error)", file: file, line: line)
        }
        return nil
    }

    // MARK: Round trip and loading

    func testRoundTripIsExact() throws {
        let net = Net(seed: 1)
        // Values whose bits a lossy path would change: -0, ±inf, NaN, a subnormal.
        let special: [Float] = [-0.0, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, 1e-30]
        net.runningMean!.data.update(from: special, count: special.count)
        let c = contents(of: net)
        let url = dir.appendingPathComponent("checkpoint.h5")
        try Checkpoint.write(c, to: url)
        let r = try Checkpoint.read(from: url)

        assertSameTensors(r.tensors, c.tensors)
        XCTAssertEqual(r.tensors.map(\.0), ["runningMean", "body.0.weight", "body.0.bias",
                                            "body.1.weight", "body.1.bias", "head.weight", "head.bias"])
        XCTAssertEqual(Set(r.optimizerTensors.keys), Set(c.optimizerTensors.keys))
        for (name, t) in c.optimizerTensors {
            XCTAssertEqual(r.optimizerTensors[name]?.shape, t.shape, name)
            XCTAssertEqual(r.optimizerTensors[name].map(bits), bits(t), name)
        }
        XCTAssertEqual(r.optimizerScalars, c.optimizerScalars)
        XCTAssertEqual(r.rng, c.rng)
        XCTAssertEqual(r.task.strings, c.task.strings)
        XCTAssertEqual(r.task.integers, c.task.integers)
        XCTAssertEqual(r.task.tensors.keys.sorted(), ["ema.fc.weight", "scalar"])
        for (name, t) in c.task.tensors {
            XCTAssertEqual(r.task.tensors[name]?.shape, t.shape, name)
            XCTAssertEqual(r.task.tensors[name].map(bits), bits(t), name)
        }
        XCTAssertEqual(r.step, 1234)
        XCTAssertEqual(r.epoch, 7)
        XCTAssertEqual(r.metrics, c.metrics)
        XCTAssertEqual(r.metadata, Self.metadata)
        XCTAssertEqual(try listing(), ["checkpoint.h5"], "a temp file was left behind")

        // An empty `created` is filled with the time of writing.
        var undated = c
        undated.metadata.created = ""
        try Checkpoint.write(undated, to: url)
        let created = try Checkpoint.read(from: url).metadata.created
        XCTAssertNotNil(ISO8601DateFormatter().date(from: created), created)
    }

    func testStrictLoadIntoFreshModuleReproducesParameters() throws {
        let net = Net(seed: 1)
        let url = dir.appendingPathComponent("checkpoint.h5")
        try Checkpoint.write(contents(of: net), to: url)

        let fresh = Net(seed: 2)
        let weight = fresh.head.weight
        XCTAssertNotEqual(bits(fresh.head.weight), bits(net.head.weight))
        try Checkpoint.load(try Checkpoint.read(from: url), into: fresh)
        assertSameTensors(fresh.stateDict(), net.stateDict())
        XCTAssertTrue(fresh.head.weight === weight, "load must copy in place (optimizers hold the tensors)")
        XCTAssertTrue(fresh.head.weight.requiresGrad)
    }

    func testLoadRejectsMismatchedModulesAndChangesNothing() throws {
        let c = contents(of: Net(seed: 1))

        let wide = Net(width: 7, seed: 3)
        let before = wide.stateDict().map { ($0.0, $0.1.copy()) }
        let e1 = expectError { try Checkpoint.load(c, into: wide) }
        XCTAssertEqual(e1, .mismatch(missing: [], unexpected: [], wrongShape: [
            ShapeMismatch(name: "runningMean", checkpoint: [6], module: [7]),
            ShapeMismatch(name: "body.0.weight", checkpoint: [6, 4], module: [7, 4]),
            ShapeMismatch(name: "body.0.bias", checkpoint: [6], module: [7]),
            ShapeMismatch(name: "body.1.weight", checkpoint: [6, 6], module: [7, 7]),
            ShapeMismatch(name: "body.1.bias", checkpoint: [6], module: [7]),
            ShapeMismatch(name: "head.weight", checkpoint: [3, 6], module: [3, 7]),
        ]))
        XCTAssertTrue(e1?.description.contains("(+1 more)") ?? false, "\(e1!)")
        assertSameTensors(wide.stateDict(), before)

        let bigger = Net(extra: true, seed: 3)
        let before2 = bigger.stateDict().map { ($0.0, $0.1.copy()) }
        let e2 = expectError { try Checkpoint.load(c, into: bigger) }
        XCTAssertEqual(e2, .mismatch(missing: ["extra.weight", "extra.bias"], unexpected: [], wrongShape: []))
        XCTAssertTrue(e2?.description.contains("renames:") ?? false, "\(e2!)")
        assertSameTensors(bigger.stateDict(), before2)  // a failed load touches nothing

        let noBuffer = Net(buffer: false, seed: 3)
        let e3 = expectError { try Checkpoint.load(c, into: noBuffer) }
        XCTAssertEqual(e3, .mismatch(missing: [], unexpected: ["runningMean"], wrongShape: []))
        XCTAssertTrue(e3?.description.contains("runningMean") ?? false, "\(e3!)")
    }

    func testRenameMapLoadsForeignNames() throws {
        // A foreign file: names prefixed as by PyTorch's DataParallel, the buffer named otherwise.
        let net = Net(seed: 1)
        let foreign = net.stateDict().map { name, t in
            (name == "runningMean" ? "stats.mean" : "module." + name, t)
        }
        var c = CheckpointContents(tensors: foreign, metadata: Self.metadata)
        let url = dir.appendingPathComponent("foreign.h5")
        try Checkpoint.write(c, to: url)
        c = try Checkpoint.read(from: url)

        let fresh = Net(seed: 2)
        let e = expectError { try Checkpoint.load(c, into: fresh) }
        guard case .mismatch(let missing, let unexpected, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(missing.count, 7)
        XCTAssertEqual(unexpected.first, "stats.mean")
        XCTAssertTrue(e!.description.contains("(+2 more)") && e!.description.contains("renames:"), "\(e!)")

        var renames: [String: String] = ["stats.mean": "runningMean"]
        for (name, _) in foreign where name.hasPrefix("module.") { renames[name] = String(name.dropFirst(7)) }
        try Checkpoint.load(c, into: fresh, renames: renames)
        assertSameTensors(fresh.stateDict(), net.stateDict())

        renames["module.nope"] = "head.weight"
        XCTAssertEqual(expectError { try Checkpoint.load(c, into: fresh, renames: renames) },
                       .unknownRenames(["module.nope"]))
    }

    // MARK: Atomic writes

    func testWriteIntoMissingOrReadOnlyDirectoryFailsCleanly() throws {
        let c = contents(of: Net(seed: 1))
        let missing = dir.appendingPathComponent("no/such/dir/checkpoint.h5")
        let e = expectError { try Checkpoint.write(c, to: missing) }
        guard case .writeFailed(let path, let reason)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(path, missing.path)
        XCTAssertTrue(reason.contains("No such file or directory"), reason)
        XCTAssertTrue(e!.description.contains("the previous checkpoint is unchanged"), "\(e!)")

        let url = dir.appendingPathComponent("checkpoint.h5")
        try Checkpoint.write(c, to: url)
        let old = try bytes(url)
        XCTAssertEqual(chmod(dir.path, 0o555), 0)
        // Root ignores directory modes, so there the write succeeds; the failures midway and on
        // a full disk (below) prove the untouched-file guarantee for everyone.
        if geteuid() != 0 {
            var other = c
            other.step = 99
            let e2 = expectError { try Checkpoint.write(other, to: url) }
            guard case .writeFailed? = e2 else { return XCTFail("\(String(describing: e2))") }
            XCTAssertEqual(try bytes(url), old)
            XCTAssertEqual(try listing(), ["checkpoint.h5"])
        }
    }

    func testFailureMidwayLeavesPreviousCheckpointByteIdentical() throws {
        let url = dir.appendingPathComponent("checkpoint.h5")
        let c = contents(of: Net(seed: 1))
        try Checkpoint.write(c, to: url)
        let old = try bytes(url)

        // A duplicate name fails inside HDF5 after the temp file holds several tensors.
        var bad = contents(of: Net(seed: 2))
        bad.tensors.append(bad.tensors[2])
        let e = expectError { try Checkpoint.write(bad, to: url) }
        guard case .writeFailed(_, let reason)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("body.0.bias"), reason)
        XCTAssertEqual(try bytes(url), old)
        XCTAssertEqual(try listing(), ["checkpoint.h5"], "the temp file must be removed")
        assertSameTensors(try Checkpoint.read(from: url).tensors, c.tensors)

        let e2 = expectError { try Checkpoint.write(CheckpointContents(
            tensors: [("rng", Tensor.zeros([1]))], metadata: Self.metadata), to: url) }
        guard case .invalidName("rng", _)? = e2 else { return XCTFail("\(String(describing: e2))") }
        let e3 = expectError { try Checkpoint.write(CheckpointContents(
            tensors: [("a/b", Tensor.zeros([1]))], metadata: Self.metadata), to: url) }
        guard case .invalidName("a/b", _)? = e3 else { return XCTFail("\(String(describing: e3))") }
        XCTAssertEqual(try bytes(url), old)
    }

    func testFullDiskSaysWhyAndKeepsPreviousCheckpoint() throws {
        let url = dir.appendingPathComponent("checkpoint.h5")
        try Checkpoint.write(contents(of: Net(seed: 1)), to: url)
        let old = try bytes(url)

        // A file-size limit makes writes past 256 KiB fail with EFBIG, as a full disk would
        // (with ENOSPC); it works without root. SIGXFSZ is ignored so the write just fails.
        var big = contents(of: Net(seed: 2))
        big.tensors.append(("big", Tensor([Float](repeating: 0.5, count: 512 * 1024), shape: [512, 1024])))
        let fsize = __rlimit_resource_t(RLIMIT_FSIZE.rawValue)
        var saved = rlimit()
        XCTAssertEqual(getrlimit(fsize, &saved), 0)
        var limit = saved
        limit.rlim_cur = 256 << 10
        let oldHandler = signal(SIGXFSZ, SIG_IGN)
        XCTAssertEqual(setrlimit(fsize, &limit), 0)
        let e = expectError { try Checkpoint.write(big, to: url) }
        XCTAssertEqual(setrlimit(fsize, &saved), 0)
        signal(SIGXFSZ, oldHandler)

        guard case .writeFailed(_, let reason)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertTrue(reason.contains("File too large"), reason)
        XCTAssertTrue(e!.description.hasSuffix("the previous checkpoint is unchanged"), "\(e!)")
        XCTAssertEqual(try bytes(url), old)
        XCTAssertEqual(try listing(), ["checkpoint.h5"])
    }

    // MARK: Bad files

    func testTruncatedFileIsUnreadableNotACrash() throws {
        let url = dir.appendingPathComponent("checkpoint.h5")
        try Checkpoint.write(contents(of: Net(seed: 1)), to: url)
        let whole = try bytes(url)
        let cut = dir.appendingPathComponent("cut.h5")
        try whole.prefix(whole.count / 2).write(to: cut)
        let e = expectError { _ = try Checkpoint.read(from: cut) }
        guard case .unreadable(let path, _)? = e else { return XCTFail("\(String(describing: e))") }
        XCTAssertEqual(path, cut.path)
        XCTAssertTrue(e!.description.contains("is not a readable HDF5 file (truncated or corrupt?)"), "\(e!)")

        let text = dir.appendingPathComponent("notes.h5")
        try Data("not hdf5 at all\n".utf8).write(to: text)
        guard case .unreadable? = expectError({ _ = try Checkpoint.read(from: text) }) else {
            return XCTFail("a text file must be unreadable")
        }
        let none = dir.appendingPathComponent("none.h5")
        XCTAssertEqual(expectError { _ = try Checkpoint.read(from: none) }, .notFound(path: none.path))
    }

    func testWrongMagicAndNewerFormatAreRejected() throws {
        let plain = dir.appendingPathComponent("plain.h5")
        var f = try HDF5File(plain.path, mode: .create)
        try f.write(Tensor([1, 2]), to: "fc.weight")
        try f.close()
        XCTAssertEqual(expectError { _ = try Checkpoint.read(from: plain) },
                       .notACheckpoint(path: plain.path, found: nil))

        let other = dir.appendingPathComponent("other.h5")
        f = try HDF5File(other.path, mode: .create)
        try f.setAttribute("format", .string("keras-weights"))
        try f.setAttribute("format_version", .int(1))
        try f.close()
        let e = expectError { _ = try Checkpoint.read(from: other) }
        XCTAssertEqual(e, .notACheckpoint(path: other.path, found: "keras-weights"))
        XCTAssertTrue(e!.description.contains("not a repro checkpoint"), "\(e!)")

        let newer = dir.appendingPathComponent("newer.h5")
        try Checkpoint.write(contents(of: Net(seed: 1)), to: newer)
        f = try HDF5File(newer.path, mode: .readWrite)
        try f.setAttribute("format_version", .int(Checkpoint.formatVersion + 1))
        try f.close()
        let e2 = expectError { _ = try Checkpoint.read(from: newer) }
        XCTAssertEqual(e2, .newerFormat(path: newer.path, version: Checkpoint.formatVersion + 1,
                                        supported: Checkpoint.formatVersion))
        XCTAssertTrue(e2!.description.contains("rebuild repro"), "\(e2!)")
    }

    // MARK: HDF5 wrapper

    func testHDF5FileGroupsDatasetsAndAttributes() throws {
        let path = dir.appendingPathComponent("w.h5").path
        var f = try HDF5File(path, mode: .create)
        try f.createGroup("a")
        try f.createGroup("a/b")
        try f.write(Tensor([1, 2, 3, 4, 5, 6], shape: [2, 1, 3]), to: "z.first")
        try f.write(Tensor(scalar: 2), to: "a/b/deep")
        try f.writeFloat64(0.1, to: "a/x")
        try f.writeInt64(-5, to: "m")
        try f.writeUInt64s([.max, 0, 7], shape: [3, 1], to: "u")
        try f.setAttribute("note", .string("ünïcode"), on: "a/b")
        try f.setAttribute("n", .int(3), on: "a/b")
        try f.setAttribute("n", .double(2.5), on: "a/b")  // replaces
        try f.setAttribute("t", .int(1), on: "z.first")
        try f.close()
        XCTAssertThrowsError(try f.writeInt64(1, to: "late"))

        f = try HDF5File(path, mode: .read)
        // Creation order (not by name), depth first: group "a" came before "z.first".
        XCTAssertEqual(try f.datasets(), [
            HDF5Dataset(name: "a/b/deep", shape: []), HDF5Dataset(name: "a/x", shape: []),
            HDF5Dataset(name: "z.first", shape: [2, 1, 3]), HDF5Dataset(name: "m", shape: []),
            HDF5Dataset(name: "u", shape: [3, 1]),
        ])
        XCTAssertEqual(try f.datasets(in: "a/b"), [HDF5Dataset(name: "deep", shape: [])])
        XCTAssertEqual(try f.readTensor("z.first").scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try f.readTensor("a/b/deep").shape, [])
        XCTAssertEqual(try f.readFloat64("a/x"), 0.1)
        XCTAssertEqual(try f.readInt64("m"), -5)
        XCTAssertEqual(try f.readUInt64s("u"), [.max, 0, 7])
        XCTAssertEqual(try f.shape(of: "u"), [3, 1])
        XCTAssertEqual(try f.attributes(of: "a/b"), ["note": .string("ünïcode"), "n": .double(2.5)])
        XCTAssertEqual(try f.attribute("t", of: "z.first"), .int(1))
        XCTAssertNil(try f.attribute("absent", of: "a"))
        XCTAssertTrue(f.exists("a/b/deep"))
        XCTAssertFalse(f.exists("a/nope/deep"))
        do {
            _ = try f.readTensor("a/missing")
            XCTFail("reading a missing dataset must throw")
        } catch let e as HDF5Error {
            XCTAssertTrue(e.description.hasPrefix("\(path): cannot open dataset 'a/missing'"), "\(e)")
            XCTAssertFalse(e.description.contains("\n"))
        }
        XCTAssertThrowsError(try f.readInt64("z.first"), "a 6-element dataset is not a scalar")
        try f.close()
    }

    // MARK: h5py

    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testH5pyReadsEveryTensorAndTheFormatAttributes() throws {
        let c = contents(of: Net(seed: 1))
        let url = dir.appendingPathComponent("checkpoint.h5")
        try Checkpoint.write(c, to: url)

        let python = "/usr/bin/python3"
        let setupHint = "run scripts/setup (it installs python3-h5py and python3-numpy)"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            return XCTFail("\(python) is missing: \(setupHint)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [Self.repoRoot.appendingPathComponent("scripts/check_checkpoint.py").path, url.path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus == 3 { return XCTFail("h5py/numpy missing for \(python): \(setupHint); \(stderr)") }
        XCTAssertEqual(p.terminationStatus, 0, "check_checkpoint.py: \(stderr)")

        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        let attrs = try XCTUnwrap(json["attrs"] as? [String: Any])
        XCTAssertEqual(attrs["format"] as? String, "repro-checkpoint")
        XCTAssertEqual(attrs["format_version"] as? Int, Checkpoint.formatVersion)
        XCTAssertEqual(attrs["plugin"] as? String, "resnet")
        XCTAssertEqual(attrs["plugin_version"] as? String, "1.2")
        XCTAssertEqual(attrs["experiment"] as? String, "resnet-mini/quick")
        XCTAssertEqual(attrs["config"] as? String, Self.metadata.configJSON)
        XCTAssertEqual(attrs["created"] as? String, Self.metadata.created)

        let datasets = try XCTUnwrap(json["datasets"] as? [String: [Any]])
        var expected: [String: Tensor] = Dictionary(uniqueKeysWithValues: c.tensors)
        for (k, v) in c.optimizerTensors { expected["optimizer/" + k] = v }
        for (k, v) in c.task.tensors { expected["task/tensors/" + k] = v }
        let others = ["rng/data", "rng/dropout", "progress/step", "progress/epoch",
                      "task/strings/vocabulary", "task/strings/empty"]
        XCTAssertEqual(Set(datasets.keys), Set(expected.keys).union(others))
        for (name, t) in expected {
            let d = try XCTUnwrap(datasets[name], name)
            XCTAssertEqual(d[0] as? [Int], t.shape, name)
            XCTAssertEqual(d[3] as? String, "float32", name)
            let sum = t.scalars.reduce(0.0) { $0 + Double($1) }
            let scale = t.scalars.reduce(1.0) { $0 + abs(Double($1)) }
            XCTAssertEqual(try XCTUnwrap(d[1] as? Double, name), sum, accuracy: 1e-12 * scale, name)
            // As Float: Foundation's JSON parser may miss a double's last bit; never a float's.
            if t.count > 0 { XCTAssertEqual((d[2] as? Double).map { Float($0) }, t.data[0], name) }
        }
        XCTAssertEqual(datasets["rng/dropout"]?[2] as? String, String(UInt64.max))
        XCTAssertEqual(datasets["rng/dropout"]?[0] as? [Int], [2])
        XCTAssertEqual(datasets["progress/step"]?[2] as? String, "1234")
        XCTAssertEqual(datasets["progress/epoch"]?[2] as? String, "7")
        let groups = try XCTUnwrap(json["groups"] as? [String: [String: Any]])
        XCTAssertEqual(groups["progress"]?["val/accuracy"] as? Double, 0.875)
        XCTAssertEqual(groups["optimizer"]?["step"] as? Double, 17)
        XCTAssertEqual(groups["task"]?["ema_updates"] as? Int, 17)
        XCTAssertEqual(groups["task"]?["offset"] as? Int, -3)
        XCTAssertEqual(json["strings"] as? [String: String],
                       ["task/strings/vocabulary": Self.taskState.strings["vocabulary"]!, "task/strings/empty": ""])
    }
}
