import XCTest
import Foundation

/// CONTRIBUTING.md promises every public layer, op, loss, optimizer, schedule, task, data and
/// drawing helper with an example. This reads the sources instead of trusting that promise,
/// so a declaration made public without a line in the guide fails here, by name.
final class ContributingGuideTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folders whose public API the guide covers (the host's own machinery in ReproKit —
    /// cards, runs, checkpoints, the trainer's callbacks — is not a plugin's business).
    static let coveredFolders = ["Sources/ReproKit/NN", "Sources/ReproKit/TensorCore", "Sources/ReproKit/Data",
                                 "Sources/ReproKit/ReproKit/Tasks", "Sources/ReproKit/ReproKit/Drawing",
                                 "Sources/ReproKit/ReproKit/Plugin"]

    /// `public final class Linear`, `open class Module`, `public func crossEntropy`,
    /// `public let reproPluginABIVersion`, … at the start of a line: top-level declarations.
    static let topLevel = try! NSRegularExpression(
        pattern: #"^(?:@\w+\s+)*(?:public|open)\s+(?:(?:final|indirect)\s+)*(?:class|struct|enum|protocol|func|typealias|let|var)\s+([A-Za-z_]\w*)"#,
        options: .anchorsMatchLines)
    /// A method of `Tensor`, one indent deep in its class or an extension: the ops (`relu`,
    /// `matmul`, `softmax`), which are the bulk of what a model calls.
    static let tensorMethod = try! NSRegularExpression(pattern: #"^    (?:@\w+\s+)*public\s+(?:static\s+)?func\s+([A-Za-z_]\w*)"#)
    static let tensorScope = try! NSRegularExpression(pattern: #"^(?:public\s+)?(?:final\s+)?(?:class|extension)\s+Tensor\b"#)

    func testEveryPublicDeclarationIsInTheGuide() throws {
        let declared = try Self.publicDeclarations()
        // A scan that finds nothing would pass silently: check it sees what is certainly there.
        for known in ["Module", "Linear", "crossEntropy", "LRSchedule", "ImageClassificationTask", "EpochSampler",
                      "imageGrid", "RangedConfig", "relu", "matmul"] {
            XCTAssertNotNil(declared[known], "the scan no longer finds \(known): fix the patterns above")
        }
        let mentioned = try Self.identifiersInCode(of: "CONTRIBUTING.md")
        let missing = declared.keys.filter { !mentioned.contains($0) }.sorted()
        XCTAssertEqual(missing, [], "public but not in CONTRIBUTING.md (add each to its table, with a one-line example): "
                       + missing.map { "\($0) (\(declared[$0]!))" }.joined(separator: ", "))
    }

    /// A file the README, the guide or ARCHITECTURE.md names must exist, so that none sends a student to
    /// nothing (DESIGN.md once was such a file).
    func testFilesTheReadmeAndGuideNameExist() throws {
        // Files the guide's walk-through has the student create, and one a warning example names.
        let examples: Set<String> = ["Plugins/LeNet", "Papers/mine.toml"]
        let path = try NSRegularExpression(pattern: #"(?:Sources|Plugins|Papers|Tests|scripts|bench)/[\w./-]*\w|\b[A-Z]+\.md\b"#)
        for doc in ["README.md", "CONTRIBUTING.md", "ARCHITECTURE.md"] {
            let text = try String(contentsOf: Self.root.appendingPathComponent(doc), encoding: .utf8)
            for m in path.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                let name = String(text[Range(m.range, in: text)!])
                if examples.contains(name) { continue }
                XCTAssertTrue(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(name).path),
                              "\(doc) names \(name), which the repository does not have")
            }
        }
    }

    /// Each public name of the covered folders, with the file that declares it.
    static func publicDeclarations() throws -> [String: String] {
        var found: [String: String] = [:]
        for folder in coveredFolders {
            let base = root.appendingPathComponent(folder)
            let files = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)!
                .compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }
            for file in files {
                let text = try String(contentsOf: file, encoding: .utf8)
                let relativePath = folder + file.path.dropFirst(base.path.count)
                func record(_ name: Substring) { if found[String(name)] == nil { found[String(name)] = relativePath } }
                for m in topLevel.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                    record(text[Range(m.range(at: 1), in: text)!])
                }
                var inTensor = false
                for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
                    let range = NSRange(line.startIndex..., in: line)
                    if let first = line.first, first.isLetter || first == "@" {
                        inTensor = tensorScope.firstMatch(in: line, range: range) != nil
                    } else if inTensor, let m = tensorMethod.firstMatch(in: line, range: range) {
                        record(line[Range(m.range(at: 1), in: line)!])
                    }
                }
            }
        }
        return found
    }

    /// Identifiers written as code in a markdown file: in `inline code` and ``` blocks, so that
    /// "Fashion-MNIST" in prose does not count as a mention of the type `MNIST`; an argument
    /// label (`relu:` in `bn(x, relu: true)`) does not count as a mention of `relu` either.
    static func identifiersInCode(of doc: String) throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent(doc), encoding: .utf8)
        var code: [String] = []
        for (i, part) in text.components(separatedBy: "```").enumerated() {
            if i % 2 == 1 { code.append(part); continue }
            let inline = try NSRegularExpression(pattern: "`([^`\n]+)`")
            code += inline.matches(in: part, range: NSRange(part.startIndex..., in: part))
                .map { String(part[Range($0.range(at: 1), in: part)!]) }
        }
        let identifier = try NSRegularExpression(pattern: #"[A-Za-z_]\w*(?![\w:])"#)
        return Set(code.flatMap { c in
            identifier.matches(in: c, range: NSRange(c.startIndex..., in: c)).map { String(c[Range($0.range, in: c)!]) }
        })
    }
}
