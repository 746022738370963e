import XCTest
import Foundation
import ReproKit

/// `repro bleu`, the real binary, on files with CRLF, trailing blanks, a blank line and no
/// final newline: the same scores and text as sacreBLEU reading those files; every bad
/// input is one line on stderr naming the file, and exit 1.
final class BleuCommandTests: XCTestCase {
    let fixture = BLEUFixture.shared.file
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("repro-bleu-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        guard FileManager.default.isExecutableFile(atPath: OneCopyTests.buildDir + "/repro") else {
            throw CLITestError("no repro binary in \(OneCopyTests.buildDir): build the host first (scripts/build; scripts/test does)")
        }
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func write(_ name: String, _ bytes: Data) throws -> String {
        let url = folder.appendingPathComponent(name)
        try bytes.write(to: url)
        return url.path
    }

    /// The hypothesis and reference files of the fixture.
    private func files() throws -> (hyp: String, refs: [String]) {
        let hyp = try write("hyp.txt", Data(fixture.hypothesis.utf8))
        let refs = try fixture.references.enumerated().map { try write("ref\($0.offset).txt", Data($0.element.utf8)) }
        return (hyp, refs)
    }

    private func repro(_ args: [String]) throws -> CLITests.Output {
        try CLITests.Running(["bleu"] + args, papers: "", artifacts: folder, env: [:], locations: false).wait()
    }

    func testTextOutputIsSacreBLEUs() throws {
        let (hyp, refs) = try files()
        let o = try repro([hyp, refs[0], refs[1]])
        XCTAssertEqual(o.status, 0, o.stderr)
        XCTAssertEqual(o.stdout, fixture.bleu.text + "\n" + fixture.chrf.text + "\n")
        XCTAssertEqual(o.stderr, "")
    }

    func testJSONIsOneLineWithTheScores() throws {
        let (hyp, refs) = try files()
        let o = try repro([hyp, refs[0], refs[1], "--json"])
        XCTAssertEqual(o.status, 0, o.stderr)
        let lines = o.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, o.stdout)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let bleu = try XCTUnwrap(object["bleu"] as? [String: Any]), chrf = try XCTUnwrap(object["chrf"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(bleu["score"] as? Double), fixture.bleu.score, accuracy: 1e-9)
        XCTAssertEqual(bleu["counts"] as? [Int], fixture.bleu.counts)
        XCTAssertEqual(bleu["sys_len"] as? Int, fixture.bleu.sys_len)
        XCTAssertEqual(try XCTUnwrap(bleu["ratio"] as? Double), fixture.bleu.ratio, accuracy: 1e-9)
        XCTAssertEqual(bleu["ref_len"] as? Int, fixture.bleu.ref_len)
        XCTAssertEqual(bleu["signature"] as? String, fixture.bleu.signature)
        XCTAssertEqual(try XCTUnwrap(chrf["score"] as? Double), fixture.chrf.score, accuracy: 1e-9)
        XCTAssertEqual(chrf["signature"] as? String, fixture.chrf.signature)
    }

    func testBadInputIsOneLineNamingTheFile() throws {
        let (hyp, refs) = try files()
        let short = try write("short.txt", Data("one line\n".utf8))
        let latin1 = try write("latin1.txt", Data("ok\n".utf8) + Data([0x63, 0x61, 0x66, 0xE9, 0x0A]))   // "café" in Latin-1
        let missing = folder.appendingPathComponent("nope.txt").path
        let cases: [([String], String)] = [
            ([hyp, missing], "\(missing): no such file"),
            ([missing, refs[0]], "\(missing): no such file"),
            ([hyp, refs[0], short], "\(short) has 1 lines but \(hyp) has 5"),
            ([latin1, latin1], "\(latin1): line 2 is not UTF-8"),
            ([hyp], "no reference file"),
        ]
        for (args, message) in cases {
            let o = try repro(args)
            XCTAssertEqual(o.status, 1, "\(args): \(o.stdout)")
            let lines = o.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, o.stderr)
            XCTAssertTrue(lines.first?.hasPrefix("repro: \(message)") == true, "expected '\(message)', got: \(o.stderr)")
            XCTAssertEqual(o.stdout, "")
        }
    }
}
