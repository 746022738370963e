import Foundation
import XCTest
import ReproKit

final class DatasetRegistryTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = try makeTemporaryFolder("repro-registry")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: dir) }

    /// FIPS 180-2's first example: SHA-256("abc").
    private let abcSHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    /// A text corpus as the next issue adds them: a Debian package, checked by the sha256 of
    /// each file as installed.
    private func corpus(_ files: [DatasetEntry.File]) -> DatasetEntry {
        DatasetEntry(name: "kjv", kind: .parallelText, summary: "King James Bible, verse per line",
                     directory: dir, files: files, source: .debianPackage("sword-text-kjv"))
    }

    func testSHA256OfTheFileOnDisk() throws {
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/verses.txt", contents: Data("abc".utf8)))
        let e = corpus([.init(name: "verses.txt", checksum: .sha256(abcSHA256))])
        XCTAssertTrue(DatasetRegistry.isPresent(e))
        let ok = try DatasetRegistry.verify(e)
        XCTAssertEqual(ok.map(\.ok), [true])
        XCTAssertEqual(ok[0].file, dir + "/verses.txt")
        XCTAssertEqual(ok[0].detail, "sha256 ba7816bf8f01cfea…")

        // One changed byte fails and shows the published digest.
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/verses.txt", contents: Data("abd".utf8)))
        let bad = try DatasetRegistry.verify(e)
        XCTAssertEqual(bad.map(\.ok), [false])
        XCTAssertTrue(bad[0].detail.hasSuffix(" (published ba7816bf8f01cfea…)"), bad[0].detail)
    }

    func testSHA256IsOfTheBytesAsStoredNotDecompressed() throws {
        // "abc" gzipped: its content hash is abc's, its file hash is not.
        let gz = Gzip.compress(Array("abc".utf8))
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/verses.gz", contents: Data(gz)))
        let asStored = corpus([.init(name: "verses.gz", checksum: .sha256(abcSHA256))])
        XCTAssertEqual(try DatasetRegistry.verify(asStored).map(\.ok), [false])
        let asContent = corpus([.init(name: "verses.gz", checksum: .sha256OfContent(abcSHA256))])
        XCTAssertEqual(try DatasetRegistry.verify(asContent).map(\.ok), [true])
    }

    func testMissingFileSaysWhichPackageToInstall() throws {
        let e = corpus([.init(name: "verses.txt", checksum: .sha256(abcSHA256))])
        XCTAssertFalse(DatasetRegistry.isPresent(e))
        XCTAssertEqual(e.installHint, "apt-get install sword-text-kjv")
        let r = try DatasetRegistry.verify(e)
        XCTAssertEqual(r.map(\.ok), [false])
        XCTAssertEqual(r[0].detail, "missing; apt-get install sword-text-kjv")
        do {
            try DatasetRegistry.fetch(e) { _ in }
            XCTFail("a package's data set cannot be fetched")
        } catch {
            XCTAssertEqual("\(error)", "kjv comes from the Debian package sword-text-kjv, which repro does not "
                           + "download; apt-get install sword-text-kjv")
        }
    }

    func testPresentPathDecidesPresenceForAnUnpackedArchive() throws {
        let e = DatasetEntry(name: "pictures", kind: .images, summary: "unpacked archive", directory: dir,
                             source: .archive(url: "https://example.org/pictures.tar.gz", md5: "0"),
                             presentPath: "pictures-bin")
        XCTAssertFalse(DatasetRegistry.isPresent(e))
        XCTAssertEqual(try DatasetRegistry.verify(e)[0].detail, "missing; repro data fetch pictures")
        try FileManager.default.createDirectory(atPath: dir + "/pictures-bin", withIntermediateDirectories: true)
        XCTAssertTrue(DatasetRegistry.isPresent(e))
        XCTAssertEqual(try DatasetRegistry.verify(e).map(\.detail), ["extracted (archive removed; cannot re-check)"])
    }

    func testKnownEntriesKeepTheirNamesHintsAndKinds() throws {
        XCTAssertEqual(DatasetRegistry.all.map(\.name), ["fashion-mnist", "mnist", "cifar10", "cifar100", "kjv-rv1909", "multi30k"])
        XCTAssertEqual(DatasetRegistry.all.map(\.kind), Array(repeating: .labeledImages, count: 4) + [.parallelText, .parallelText])
        XCTAssertEqual(try DatasetRegistry.entry("cifar10").installHint, "repro data fetch cifar10")
        XCTAssertEqual(try DatasetRegistry.entry("mnist").installHint, "repro data fetch mnist")
        XCTAssertEqual(try DatasetRegistry.entry("fashion-mnist").installHint,
                       "apt-get install dataset-fashion-mnist (scripts/setup does it)")
        XCTAssertTrue(DatasetRegistry.isPresent(try DatasetRegistry.entry("fashion-mnist")), "scripts/setup installs it")
    }
}
