import Foundation
import XCTest
import ReproKit

/// The KJV ↔ Reina-Valera 1909 corpus, read from the SWORD modules scripts/setup installs.
final class ParallelCorpusTests: XCTestCase {
    /// Read once: every test looks at the same installed files.
    private static let bible = Result { try BibleCorpus() }
    private var bible: BibleCorpus { get throws { try Self.bible.get() } }
    private let kjvDir = BibleCorpus.defaultDirectory + "/engKJV2006eb"
    private var tmp = ""

    override func setUpWithError() throws {
        tmp = try makeTemporaryFolder("repro-sword")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: tmp) }

    func testVersificationTableMatchesTheModuleIndexAndItsChapterMarkers() throws {
        XCTAssertEqual(KJVVersification.books.count, 66)
        XCTAssertEqual(KJVVersification.verses.count, 31_102)
        XCTAssertEqual(KJVVersification.entriesPerTestament, [24_115, 8_246])
        let kjv = try SwordZText(directory: kjvDir, installHint: "apt-get install sword-text-kjv")
        XCTAssertEqual(kjv.entriesPerTestament, [24_115, 8_246])
        // The entry before each chapter's first verse is that chapter's heading, which the KJV
        // module marks with the chapter's OSIS id: every chapter length in the table is right.
        var chapters = 0
        for v in KJVVersification.verses where v.ref.verse == 1 {
            let heading = String(decoding: kjv.markup(at: v.entry - 1), as: UTF8.self)
            let id = "\(KJVVersification.books[v.ref.book].osisID).\(v.ref.chapter)"
            XCTAssertTrue(heading.contains("<chapter n=\"\(v.ref.chapter)\" osisID=\"\(id)\""), "entry \(v.entry - 1): \(heading)")
            chapters += 1
        }
        XCTAssertEqual(chapters, 1_189)
    }

    func testPairsKnownVersesAndCleanText() throws {
        let b = try bible
        let pairs = b.verses.filter { !$0.english.isEmpty && !$0.spanish.isEmpty }
        XCTAssertEqual(pairs.count, 31_084, "the papers reference's count")
        XCTAssertEqual(pairs.filter { words($0.english) <= 12 && words($0.spanish) <= 12 }.count, 2_302)
        XCTAssertEqual(b.verses[0].ref.description, "Gen.1.1")
        XCTAssertEqual(b.verses[0].english, "In the beginning God created the heaven and the earth.")
        XCTAssertEqual(b.verses[0].spanish, "EN el principio crió Dios los cielos y la tierra.")
        XCTAssertEqual(b.verses.last?.ref.description, "Rev.22.21")
        XCTAssertEqual(b.verses.last?.english, "The grace of our Lord Jesus Christ be with you all. Amen.")
        // Gen 1:4 carries a translator's note, Ps 3:1 a psalm title: both go.
        let gen14 = try XCTUnwrap(b.verses.first { $0.ref.description == "Gen.1.4" })
        XCTAssertEqual(gen14.english, "And God saw the light, that it was good: and God divided the light from the darkness.")
        let ps31 = try XCTUnwrap(b.verses.first { $0.ref.description == "Ps.3.1" })
        XCTAssertEqual(ps31.english, "LORD, how are they increased that trouble me! many are they that rise up against me.")
        for v in b.verses {
            for t in [v.english, v.spanish] {
                XCTAssertFalse(t.contains("<") || t.contains(">") || t.contains("  ") || t.hasPrefix(" ") || t.hasSuffix(" "),
                               "\(v.ref): \(t)")
                XCTAssertFalse(t.contains("…"), "a note (\"word…: Heb. …\") left in \(v.ref): \(t)")
            }
        }
        // 4,113,481 characters of verses (the reference's "4.1M") and 31,101 newlines between them.
        XCTAssertEqual(b.englishText().unicodeScalars.count, 4_144_582)
    }

    func testMarkupRules() {
        let osis = #"<title type="psalm">A <w>Psalm</w></title> <l sID="1"/>Blessed <w lemma="x">is</w><note>a <note>nested</note> note</note>"#
            + #" the<lb/>man, <transChange type="added">that</transChange>  walketh<chapter eID="Ps.1"/>"#
        XCTAssertEqual(OSISText.plain(ArraySlice(osis.utf8)), "Blessed is the man, that walketh")
        XCTAssertEqual(OSISText.plain(ArraySlice("broken <w tag".utf8)), "broken")
        XCTAssertEqual(OSISText.plain([]), "")
    }

    func testSplitsAreDisjointByBookAndCoverEveryPair() throws {
        let b = try bible
        var books: [CorpusSplit: Set<String>] = [:]
        var sizes: [CorpusSplit: Int] = [:]
        for s in CorpusSplit.allCases {
            let c = try b.corpus(s)
            sizes[s] = c.count
            books[s] = Set(c.references.map { String($0.prefix { $0 != "." }) })
            XCTAssertEqual(c.datasetDescription.description, "kjv-rv1909 \(s.rawValue): \(c.count) examples, EN–ES verse pairs")
        }
        XCTAssertEqual(sizes[.train], 27_567)
        XCTAssertEqual(sizes[.valid], 1_663)
        XCTAssertEqual(sizes[.test], 1_854)
        XCTAssertEqual(sizes.values.reduce(0, +), 31_084)
        XCTAssertEqual(books[.valid], BibleCorpus.validBooks)
        XCTAssertEqual(books[.test], BibleCorpus.testBooks)
        XCTAssertEqual(books[.train]?.count, 55)
        XCTAssertTrue(books[.train]!.isDisjoint(with: books[.valid]!) && books[.train]!.isDisjoint(with: books[.test]!))
    }

    func testDirectionLengthFilterAndLimitAreDeterministic() throws {
        let b = try bible
        let en = try b.corpus(.test), es = try b.corpus(.test, source: "es")
        XCTAssertEqual(es.pairs.map(\.source), en.pairs.map(\.target))
        XCTAssertEqual(es.pairs.map(\.target), en.pairs.map(\.source))
        XCTAssertEqual(es.datasetDescription.example, "ES–EN verse pairs")
        XCTAssertThrowsError(try b.corpus(.test, source: "fr")) {
            XCTAssertEqual("\($0)", "kjv-rv1909 pairs en with es; source language 'fr' is neither")
        }

        let short = try b.corpus(.train, maxWords: 12)
        XCTAssertGreaterThan(short.count, 1_000)
        XCTAssertTrue(short.pairs.allSatisfy { words($0.source) <= 12 && words($0.target) <= 12 })
        let all = try b.corpus(.train)
        XCTAssertEqual(short.count, all.pairs.filter { words($0.source) <= 12 && words($0.target) <= 12 }.count)

        let few = try b.corpus(.train, maxWords: 12, maxPairs: 100)
        XCTAssertEqual(few.count, 100)
        XCTAssertEqual(few.pairs, try b.corpus(.train, maxWords: 12, maxPairs: 100).pairs, "deterministic")
        XCTAssertEqual(few.references.first, short.references.first)
        // Spread over the split, not only its first book.
        XCTAssertGreaterThan(Set(few.references.map { $0.prefix { $0 != "." } }).count, 20)
        XCTAssertTrue(Set(few.pairs).isSubset(of: Set(short.pairs)))
    }

    func testMissingModuleSaysWhichPackageToInstall() {
        XCTAssertThrowsError(try BibleCorpus(directory: tmp)) {
            XCTAssertEqual("\($0)", "data file not found: \(tmp)/engKJV2006eb/ot.bzs; apt-get install sword-text-kjv (scripts/setup does it)")
        }
    }

    /// Copies the KJV module into the temp folder, lets `damage` change one file, and returns
    /// the one-line error reading it gives.
    private func error(damaging file: String, _ damage: (inout [UInt8]) -> Void) throws -> String {
        let dir = tmp + "/engKJV2006eb"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["ot", "nt"].flatMap({ t in ["bzs", "bzv", "bzz"].map { "\(t).\($0)" } }) {
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: kjvDir + "/" + f)))
            if f == file { damage(&bytes) }
            try Data(bytes).write(to: URL(fileURLWithPath: dir + "/" + f))
        }
        do {
            _ = try SwordZText(directory: dir, installHint: "apt-get install sword-text-kjv")
            XCTFail("\(file) damaged, yet it read")
            return ""
        } catch { return "\(error)" }
    }

    func testDamagedFilesAreOneLineNamingTheFile() throws {
        let cases: [(String, (inout [UInt8]) -> Void, String)] = [
            ("ot.bzz", { $0.removeLast($0.count / 2) }, "does not fit"),
            ("nt.bzz", { for i in 5_000..<5_100 { $0[i] ^= 0x5A } }, "not valid zlib data"),
            ("ot.bzs", { $0.removeLast(5) }, "not a whole number of 12-byte block records"),
            ("ot.bzs", { $0[11] = 0xFF }, "does not fit"),  // a block claiming 4 GB inflated
            ("nt.bzv", { $0.removeLast(3) }, "not a whole number of 10-byte entry records"),
            ("nt.bzv", { $0[40] = 0xFF; $0[41] = 0xFF }, "entry 4 "),  // a block number past the end
            ("ot.bzv", { $0[47] = 0xFF }, "entry 4 "),  // an entry starting past its block's end
        ]
        for (file, damage, words) in cases {
            let message = try error(damaging: file, damage)
            XCTAssertTrue(message.contains("\(tmp)/engKJV2006eb/\(file)"), message)
            XCTAssertTrue(message.contains(words), message)
            XCTAssertTrue(message.hasSuffix("reinstall it: apt-get install --reinstall sword-text-kjv"), message)
            XCTAssertFalse(message.contains("\n"), message)
        }
    }

    /// Reading both modules and building the three splits must take seconds, not minutes
    /// (about 0.5 s in a release build; debug builds are several times slower).
    func testLoadingBothModulesAndSplittingIsFast() throws {
        let start = Date()
        let b = try BibleCorpus()
        let counts = try CorpusSplit.allCases.map { try b.corpus($0).count }
        let seconds = Date().timeIntervalSince(start)
        print("kjv-rv1909: read both modules and built the splits \(counts) in \(String(format: "%.2f", seconds)) s")
        XCTAssertEqual(counts.reduce(0, +), 31_084)
        #if DEBUG
        XCTAssertLessThan(seconds, 30)
        #else
        XCTAssertLessThan(seconds, 5)
        #endif
    }

    func testRegistryChecksTheInstalledFiles() throws {
        let e = try DatasetRegistry.entry("kjv-rv1909")
        XCTAssertEqual(e.kind, .parallelText)
        XCTAssertTrue(DatasetRegistry.isPresent(e), "scripts/setup installs it")
        let r = try DatasetRegistry.verify(e)
        XCTAssertEqual(r.count, 12)
        XCTAssertTrue(r.allSatisfy(\.ok), "\(r)")
    }

    private func words(_ s: String) -> Int { s.split(separator: " ").count }
}
