import Foundation

/// Tests/Fixtures/bleu.json, sacreBLEU's scores written by scripts/golden/make_bleu_fixture.py.
struct BLEUFixture: Decodable {
    struct BLEUGolden: Decodable {
        let score: Double
        let counts: [Int]
        let totals: [Int]
        let precisions: [Double]
        let bp: Double
        let sys_len: Int
        let ref_len: Int
        let ratio: Double
        let signature: String
        let text: String
    }
    struct ChrFGolden: Decodable { let score: Double; let signature: String; let text: String }
    struct Tokenized: Decodable { let hypotheses: [String]; let references: [[String]] }
    struct Case: Decodable {
        let name: String
        let hypotheses: [String]
        let references: [[String]]
        let tokenized: Tokenized?
        let bleu: BLEUGolden
        let chrf: ChrFGolden
    }
    /// Raw file contents and sacreBLEU's scores of them as its command line reads files.
    struct File: Decodable { let hypothesis: String; let references: [String]; let bleu: BLEUGolden; let chrf: ChrFGolden }
    struct Bucket: Decodable { let lower: Int; let upper: Int?; let sentences: Int; let bleu: BLEUGolden? }
    struct Buckets: Decodable { let source_lengths: [Int]; let edges: [Int]; let scores: [Bucket]; let `case`: String }

    let sacrebleu_version: String
    let cases: [Case]
    let file: File
    let buckets: Buckets

    static let shared: BLEUFixture = {
        let url = Golden.url.deletingLastPathComponent().appendingPathComponent("bleu.json")
        return try! JSONDecoder().decode(BLEUFixture.self, from: Data(contentsOf: url))
    }()

    func `case`(_ name: String) -> Case { cases.first { $0.name == name }! }
}
