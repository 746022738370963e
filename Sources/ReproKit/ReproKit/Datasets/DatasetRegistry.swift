import Foundation

/// The data sets repro knows, and checking and fetching them. Checksums are the publishers'
/// (see the papers reference); Fashion-MNIST's are of the decompressed files, since Debian
/// recompresses them.
public enum DatasetRegistry {
    /// Every data set, in `repro data list` order. Computed, so directories under
    /// `$REPRO_DATA` follow the environment of the moment.
    public static var all: [DatasetEntry] {
        [
            DatasetEntry(name: "fashion-mnist", kind: .labeledImages,
                         summary: "Fashion-MNIST, 60k+10k 28×28 grey, 10 classes (MIT)",
                         directory: FashionMNIST.defaultDirectory,
                         files: [
                            .init(name: "train-images-idx3-ubyte.gz", checksum: .sha256OfContent("c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888")),
                            .init(name: "train-labels-idx1-ubyte.gz", checksum: .sha256OfContent("bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9")),
                            .init(name: "t10k-images-idx3-ubyte.gz", checksum: .sha256OfContent("5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b")),
                            .init(name: "t10k-labels-idx1-ubyte.gz", checksum: .sha256OfContent("0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")),
                         ],
                         source: .debianPackage("dataset-fashion-mnist"),
                         installHint: "apt-get install dataset-fashion-mnist (scripts/setup does it)"),
            DatasetEntry(name: "mnist", kind: .labeledImages, summary: "MNIST, 60k+10k 28×28 grey digits",
                         directory: MNIST.defaultDirectory,
                         files: [
                            .init(name: "train-images-idx3-ubyte.gz", checksum: .md5("f68b3c2dcbeaaa9fbdd348bbdeb94873")),
                            .init(name: "train-labels-idx1-ubyte.gz", checksum: .md5("d53e105ee54ea40749a09fcbcd1e9432")),
                            .init(name: "t10k-images-idx3-ubyte.gz", checksum: .md5("9fb629c4189551a2d022fa330f9573f3")),
                            .init(name: "t10k-labels-idx1-ubyte.gz", checksum: .md5("ec29112dd5afa0611ce80d1b7f02629c")),
                         ],
                         source: .files(baseURL: "https://ossci-datasets.s3.amazonaws.com/mnist/")),
            DatasetEntry(name: "cifar10", kind: .labeledImages,
                         summary: "CIFAR-10 binary version, 50k+10k 32×32 RGB, 10 classes",
                         directory: CIFAR10.defaultDirectory,
                         source: .archive(url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                                          md5: "c32a1d4ab5d03f1284b67883e8d87530"),
                         presentPath: "cifar-10-batches-bin"),
            DatasetEntry(name: "cifar100", kind: .labeledImages,
                         summary: "CIFAR-100 binary version, 50k+10k 32×32 RGB, 100 classes",
                         directory: CIFAR100.defaultDirectory,
                         source: .archive(url: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
                                          md5: "03b5dce01913d631647c71ecec9e9cb8"),
                         presentPath: "cifar-100-binary"),
            DatasetEntry(name: BibleCorpus.name, kind: .parallelText,
                         summary: "KJV (EN) ↔ Reina-Valera 1909 (ES), 31,084 verse pairs, SWORD modules (public domain)",
                         directory: BibleCorpus.defaultDirectory,
                         files: bibleFiles,
                         source: .debianPackage("sword-text-kjv sword-text-sparv"),
                         installHint: "apt-get install sword-text-kjv sword-text-sparv (scripts/setup does it)"),
            DatasetEntry(name: Multi30k.name, kind: .parallelText,
                         summary: "Multi30k task 1, EN→DE captions, 29,000/1,014/1,000 pairs (Flickr30k: research use)",
                         directory: Multi30k.defaultDirectory,
                         files: multi30kFiles,
                         source: .files(baseURL: "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/")),
        ]
    }

    /// The SWORD modules' files as Debian installs them (the .bzz digests match the papers
    /// reference; the index files' were computed from sword-text-kjv 14.3-1 and
    /// sword-text-sparv 2.60-1).
    private static let bibleFiles: [DatasetEntry.File] = [
        ("engKJV2006eb/ot.bzs", "0d518856e8c6ceae0ca58bef944ba9a2809b5d4489cf81900853ad4af227510b"),
        ("engKJV2006eb/ot.bzv", "b4fae54cb0b979b7f3f78fe6eaa94bad1f1d408eccb4a40410402b794b5c2f0f"),
        ("engKJV2006eb/ot.bzz", "69f7e4e9b42ecef2e212ea957a388fccbeed1e3e333a38cf52e1b4064c6ce373"),
        ("engKJV2006eb/nt.bzs", "e7f9bc653743217cdcdf95890a708f997a03af056161d84bb540efef79e4e638"),
        ("engKJV2006eb/nt.bzv", "9d1daab8fb6ef43b53642cdd3276c1fa95ecfde08901bbb349be6378d1e1b972"),
        ("engKJV2006eb/nt.bzz", "135b6e70af49372f3a82c5d9cc3c00278f38dbb2c12af74ea8d4b54c18d0cd56"),
        ("spaRV1909eb/ot.bzs", "0e39106ae15a29cef56feac683f8482be380536a1c456e006867f9fa94c0338e"),
        ("spaRV1909eb/ot.bzv", "0f23b1ebff5ecdd352a64feda5bb047cba27ce3624fa7b00717f763835d96e20"),
        ("spaRV1909eb/ot.bzz", "daae868e179e6cc884ad2c9429a9dfaf9745d61caa6dbb9da2a8b24ec3c01337"),
        ("spaRV1909eb/nt.bzs", "b88dda1e9ab50d158262ab141af7823269acb19c581621683298be5b6e154d58"),
        ("spaRV1909eb/nt.bzv", "a9583ba1b4c66dfdd8bfb6a0b1833bdaa02f9e2cc3465c5a802cf19cbc2f2533"),
        ("spaRV1909eb/nt.bzz", "7baf6b1e798b193315fed89d0e84e8e1a033d035316f66c78d456f5fb8c87e20"),
    ].map { DatasetEntry.File(name: $0.0, checksum: .sha256($0.1)) }

    /// Multi30k's gzip files as published (papers reference, repository commit a3d2e0d).
    private static let multi30kFiles: [DatasetEntry.File] = [
        ("train.en.gz", "d79cfa999dd4c51d2cb42499b6796d5a882c3a8a961923c25a898c90f8bbd56f"),
        ("train.de.gz", "726e39b2fa9eb9ffb6dc763fb35a179f80fae06ffc5d28b6ace5faa883de28a6"),
        ("val.en.gz", "14f7d25ddd868909a9213e361768460edcacdd6ab9d1e77b92560dc10c10dc28"),
        ("val.de.gz", "f0cba2f995189cf5770f29a8a9a537a3ad3f51657ad873405082ff6863a5e75a"),
        ("test_2016_flickr.en.gz", "611d361c6334bc7246101d48097c13cf5c4413c5befc793cc629934359d532d9"),
        ("test_2016_flickr.de.gz", "9204244e408ccb38d2a55cfcd344df15005fc42a07a6e55ca6c52b6ababb8cc8"),
    ].map { DatasetEntry.File(name: $0.0, checksum: .sha256($0.1)) }

    /// The data set called `name`; throws `UnknownDataset` (listing the known ones) otherwise.
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

    /// Whether the data set is on disk: its `presentPath` exists, else all its files do.
    public static func isPresent(_ e: DatasetEntry) -> Bool {
        if let p = e.presentPath { return FileManager.default.fileExists(atPath: e.directory + "/" + p) }
        return e.files.allSatisfy { FileManager.default.fileExists(atPath: e.directory + "/" + $0.name) }
    }

    /// Checks every file against its published checksum; returns one line per file. An
    /// archive data set without files checks the archive, or says it is unpacked without it.
    public static func verify(_ e: DatasetEntry) throws -> [(file: String, ok: Bool, detail: String)] {
        if e.files.isEmpty, case let .archive(url, md5) = e.source {
            let archive = e.directory + "/" + URL(string: url)!.lastPathComponent
            guard FileManager.default.fileExists(atPath: archive) else {
                return [(archive, isPresent(e), isPresent(e) ? "extracted (archive removed; cannot re-check)" : "missing; \(e.installHint)")]
            }
            let got = try Checksum.md5(file: archive)
            return [(archive, got == md5, "md5 \(got)")]
        }
        return try e.files.map { f in
            let path = e.directory + "/" + f.name
            guard FileManager.default.fileExists(atPath: path) else { return (path, false, "missing; \(e.installHint)") }
            return try check(path, f.checksum, hint: e.installHint)
        }
    }

    /// One file against its checksum: whether it matches, and the digest (with the published
    /// one when they differ).
    static func check(_ path: String, _ checksum: DatasetEntry.Checksum, hint: String) throws
        -> (file: String, ok: Bool, detail: String) {
        switch checksum {
        case .md5(let want):
            let got = try Checksum.md5(file: path)
            return (path, got == want, "md5 \(got)\(got == want ? "" : " (published \(want))")")
        case .sha256(let want):
            let got = try Checksum.sha256(file: path)
            return (path, got == want, "sha256 \(got.prefix(16))…\(got == want ? "" : " (published \(want.prefix(16))…)")")
        case .sha256OfContent(let want):
            let got = Checksum.sha256(try Gzip.readFile(path, missingHint: hint))
            return (path, got == want, "sha256 of content \(got.prefix(16))…\(got == want ? "" : " (published \(want.prefix(16))…)")")
        }
    }

    /// Downloads, checks and unpacks a data set into its directory.
    public static func fetch(_ e: DatasetEntry, log: (String) -> Void) throws {
        switch e.source {
        case let .archive(url, md5):
            try FileManager.default.createDirectory(atPath: e.directory, withIntermediateDirectories: true)
            let dest = e.directory + "/" + URL(string: url)!.lastPathComponent
            try download(url, to: dest, log: log)
            let got = try Checksum.md5(file: dest)
            guard got == md5 else {
                try? FileManager.default.removeItem(atPath: dest)
                throw DataError.malformed(path: dest, detail: "md5 \(got) is not the published \(md5); the download is corrupt — try again")
            }
            log("checksum ok; unpacking")
            let tar = Process()
            tar.executableURL = URL(fileURLWithPath: "/bin/tar")
            tar.arguments = ["-xzf", dest, "-C", e.directory]
            try tar.run(); tar.waitUntilExit()
            guard tar.terminationStatus == 0 else {
                throw DataError.malformed(path: dest, detail: "tar could not unpack it")
            }
        case let .files(base):
            try FileManager.default.createDirectory(atPath: e.directory, withIntermediateDirectories: true)
            for f in e.files {
                try download(base + f.name, to: e.directory + "/" + f.name, log: log)
            }
            for r in try verify(e) where !r.ok {
                throw DataError.malformed(path: r.file, detail: "checksum mismatch (\(r.detail)); the download is corrupt — try again")
            }
        case let .debianPackage(package):
            throw DataError.invalid("\(e.name) comes from the Debian package \(package), which repro does not "
                + "download; \(e.installHint)")
        }
    }
}
