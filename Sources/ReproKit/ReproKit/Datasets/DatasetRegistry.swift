import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The data sets repro knows: where each lives, its published checksums, and how to get it.
/// Checksums are from the publishers (see the papers reference); Fashion-MNIST's are of the
/// decompressed files, since Debian recompresses them.
public struct DatasetEntry: Sendable {
    public enum Checksum: Sendable { case md5(String), sha256OfContent(String) }
    public struct File: Sendable { public let name: String; public let checksum: Checksum }

    public let name: String
    public let summary: String
    public let directory: String
    public let files: [File]
    /// A published archive to download and unpack into `directory`, with its md5.
    public let archiveURL: String?
    public let archiveMD5: String?
    /// Or the base URL of individually downloaded files.
    public let fileBaseURL: String?
    /// How to get it without `fetch` (a Debian package, …).
    public let installHint: String
}

public enum DatasetRegistry {
    public static var all: [DatasetEntry] {
        [
            DatasetEntry(name: "fashion-mnist", summary: "Fashion-MNIST, 60k+10k 28×28 grey, 10 classes (MIT)",
                         directory: FashionMNIST.defaultDirectory,
                         files: [
                            .init(name: "train-images-idx3-ubyte.gz", checksum: .sha256OfContent("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888")),
                            .init(name: "train-labels-idx1-ubyte.gz", checksum: .sha256OfContent("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9")),
                            .init(name: "t10k-images-idx3-ubyte.gz", checksum: .sha256OfContent("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b")),
                            .init(name: "t10k-labels-idx1-ubyte.gz", checksum: .sha256OfContent("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")),
                         ],
                         archiveURL: nil, archiveMD5: nil, fileBaseURL: nil,
                         installHint: "apt-get install dataset-fashion-mnist (scripts/setup does it)"),
            DatasetEntry(name: "mnist", summary: "MNIST, 60k+10k 28×28 grey digits",
                         directory: MNIST.defaultDirectory,
                         files: [
                            .init(name: "train-images-idx3-ubyte.gz", checksum: .md5("f68b3c2dcbeaaa9fbdd348bbdeb94873")),
                            .init(name: "train-labels-idx1-ubyte.gz", checksum: .md5("d53e105ee54ea40749a09fcbcd1e9432")),
                            .init(name: "t10k-images-idx3-ubyte.gz", checksum: .md5("9fb629c4189551a2d022fa330f9573f3")),
                            .init(name: "t10k-labels-idx1-ubyte.gz", checksum: .md5("ec29112dd5afa0611ce80d1b7f02629c")),
                         ],
                         archiveURL: nil, archiveMD5: nil, fileBaseURL: "https://ossci-datasets.s3.amazonaws.com/mnist/",
                         installHint: "repro data fetch mnist"),
            DatasetEntry(name: "cifar10", summary: "CIFAR-10 binary version, 50k+10k 32×32 RGB, 10 classes",
                         directory: CIFAR10.defaultDirectory,
                         files: [], archiveURL: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                         archiveMD5: "c32a1d4ab5d03f1284b67883e8d87530", fileBaseURL: nil,
                         installHint: "repro data fetch cifar10"),
            DatasetEntry(name: "cifar100", summary: "CIFAR-100 binary version, 50k+10k 32×32 RGB, 100 classes",
                         directory: CIFAR100.defaultDirectory,
                         files: [], archiveURL: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
                         archiveMD5: "03b5dce01913d631647c71ecec9e9cb8", fileBaseURL: nil,
                         installHint: "repro data fetch cifar100"),
        ]
    }

    public static func entry(_ name: String) throws -> DatasetEntry {
        guard let e = all.first(where: { $0.name == name }) else { throw UnknownDataset(name: name) }
        return e
    }

    /// A data set name repro does not know.
    public struct UnknownDataset: Error, CustomStringConvertible {
        public let name: String
        public var description: String {
            "unknown data set '\(name)'; known: \(DatasetRegistry.all.map(\.name).joined(separator: ", ")) (`repro data list`)"
        }
    }

    /// Whether the data set's files are on disk (CIFAR: its extracted folder).
    public static func isPresent(_ e: DatasetEntry) -> Bool {
        if e.files.isEmpty {
            let sub = e.name == "cifar10" ? "cifar-10-batches-bin" : "cifar-100-binary"
            return FileManager.default.fileExists(atPath: e.directory + "/" + sub)
        }
        return e.files.allSatisfy { FileManager.default.fileExists(atPath: e.directory + "/" + $0.name) }
    }

    /// Checks every file against its published checksum; returns one line per file.
    public static func verify(_ e: DatasetEntry) throws -> [(file: String, ok: Bool, detail: String)] {
        if e.files.isEmpty {
            let archive = e.directory + "/" + URL(string: e.archiveURL!)!.lastPathComponent
            guard FileManager.default.fileExists(atPath: archive) else {
                return [(archive, isPresent(e), isPresent(e) ? "extracted (archive removed; cannot re-check)" : "missing; \(e.installHint)")]
            }
            let md5 = try Checksum.md5(file: archive)
            return [(archive, md5 == e.archiveMD5, "md5 \(md5)")]
        }
        return try e.files.map { f in
            let path = e.directory + "/" + f.name
            guard FileManager.default.fileExists(atPath: path) else { return (path, false, "missing; \(e.installHint)") }
            switch f.checksum {
            case .md5(let want):
                let got = try Checksum.md5(file: path)
                return (path, got == want, "md5 \(got)\(got == want ? "" : " (published \(want))")")
            case .sha256OfContent(let want):
                let got = Checksum.sha256(try Gzip.readFile(path, missingHint: e.installHint))
                return (path, got == want, "sha256 of content \(got.prefix(16))…\(got == want ? "" : " (published \(want.prefix(16))…)")")
            }
        }
    }

    /// Downloads, checks and unpacks a data set into its directory.
    public static func fetch(_ e: DatasetEntry, log: (String) -> Void) throws {
        try FileManager.default.createDirectory(atPath: e.directory, withIntermediateDirectories: true)
        if let url = e.archiveURL {
            let dest = e.directory + "/" + URL(string: url)!.lastPathComponent
            try download(url, to: dest, log: log)
            let md5 = try Checksum.md5(file: dest)
            guard md5 == e.archiveMD5 else {
                try? FileManager.default.removeItem(atPath: dest)
                throw DataError.malformed(path: dest, detail: "md5 \(md5) is not the published \(e.archiveMD5!); the download is corrupt — try again")
            }
            log("checksum ok; unpacking")
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/bin/tar")
            tar.arguments = ["-xzf", dest, "-C", e.directory]
            try tar.run(); tar.waitUntilExit()
            guard tar.terminationStatus == 0 else {
                throw DataError.malformed(path: dest, detail: "tar could not unpack it")
            }
        } else if let base = e.fileBaseURL {
            for f in e.files {
                let dest = e.directory + "/" + f.name
                try download(base + f.name, to: dest, log: log)
            }
            for r in try verify(e) where !r.ok {
                throw DataError.malformed(path: r.file, detail: "checksum mismatch (\(r.detail)); the download is corrupt — try again")
            }
        } else {
            throw DataError.malformed(path: e.name, detail: "not downloadable by repro; \(e.installHint)")
        }
    }

    static func download(_ url: String, to dest: String, log: (String) -> Void) throws {
        log("downloading \(url)")
        // The completion handler runs on URLSession's queue; the semaphore orders its write
        // before our read.
        final class Box: @unchecked Sendable { var result: Result<URL, Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.downloadTask(with: URL(string: url)!) { location, response, error in
            if let error { box.result = .failure(error) }
            else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                box.result = .failure(DataError.malformed(path: url, detail: "HTTP \(http.statusCode)"))
            } else if let location {
                let tmp = dest + ".part"
                try? FileManager.default.removeItem(atPath: tmp)
                do { try FileManager.default.moveItem(atPath: location.path, toPath: tmp); box.result = .success(URL(fileURLWithPath: tmp)) }
                catch { box.result = .failure(error) }
            }
            done.signal()
        }
        task.resume()
        done.wait()
        switch box.result {
        case .success(let tmp)?:
            try? FileManager.default.removeItem(atPath: dest)
            try FileManager.default.moveItem(atPath: tmp.path, toPath: dest)
        case .failure(let error)?:
            throw DataError.malformed(path: url, detail: "cannot download (\(error.localizedDescription)); fetch it by hand into \(URL(fileURLWithPath: dest).deletingLastPathComponent().path) and run `repro data verify`")
        case nil:
            throw DataError.malformed(path: url, detail: "download gave no file")
        }
    }
}
