import XCTest
import ReproKit

/// How long tokenizers take on a Bible-sized corpus (31,000 sentences, ~4 M characters).
/// Slow in a debug build, so it runs only when REPRO_TIMING is set:
/// `REPRO_TIMING=1 swift test -c release --filter TokenizerTimingTests`.
final class TokenizerTimingTests: XCTestCase {
    /// Spanish-looking sentences: 40,000 word types made of syllables, drawn with Zipf's law
    /// like real words, with capitals, commas and ¿…? ¡…! as a translation corpus has them.
    private func corpus(sentences: Int) -> [String] {
        var state: UInt64 = 12345
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        let syllables = ["la", "de", "que", "el", "en", "y", "a", "los", "se", "del", "las", "un", "por", "con",
                         "no", "una", "su", "para", "es", "al", "lo", "como", "más", "pe", "ro", "sus", "le", "ha",
                         "me", "si", "sin", "so", "bre", "muy", "cuan", "do", "ción", "ñor", "tie", "rra", "dí", "os"]
        let words = (0..<40_000).map { i -> String in
            let n = 1 + (i % 7 == 0 ? 3 : i % 3)
            return (0..<n).map { _ in syllables[next(syllables.count)] }.joined()
        }
        // Zipf: P(rank r) ∝ 1/r, sampled through the cumulative sum.
        var cumulative: [Double] = []
        var total = 0.0
        for r in 1...words.count { total += 1 / Double(r); cumulative.append(total) }
        func word() -> String {
            let u = Double(next(1 << 30)) / Double(1 << 30) * total
            var lo = 0, hi = cumulative.count - 1
            while lo < hi { let mid = (lo + hi) / 2; if cumulative[mid] < u { lo = mid + 1 } else { hi = mid } }
            return words[lo]
        }
        return (0..<sentences).map { _ in
            var s = (0..<(10 + next(20))).map { i in i > 0 && next(9) == 0 ? word() + "," : word() }.joined(separator: " ")
            s = s.prefix(1).uppercased() + s.dropFirst()
            switch next(8) {
            case 0: return "¿" + s + "?"
            case 1: return "¡" + s + "!"
            default: return s + "."
            }
        }
    }

    func testBPEOnABibleSizedCorpus() throws {
        guard ProcessInfo.processInfo.environment["REPRO_TIMING"] != nil else {
            throw XCTSkip("timing only: set REPRO_TIMING=1 and build in release")
        }
        let text = corpus(sentences: 31_000)
        let characters = text.reduce(0) { $0 + $1.unicodeScalars.count }
        var clock = Date()
        func lap() -> String { defer { clock = Date() }; return String(format: "%.2f s", Date().timeIntervalSince(clock)) }

        let word = try WordTokenizer(training: text, maxVocabularySize: 32_000)
        let trainWord = lap()
        let wordIDs = text.map(word.encode)
        let encodeWord = lap()
        let bpe = try BPETokenizer(training: text, vocabularySize: 8000)
        let trainBPE = lap()
        let ids = text.map(bpe.encode)
        let encodeBPE = lap()
        let fresh = try BPETokenizer(serialized: bpe.serialized)
        _ = lap()
        let coldIDs = text.map(fresh.encode)
        let encodeCold = lap()
        let decoded = ids.map(bpe.decode)
        let decode = lap()
        print("timing: \(text.count) sentences, \(characters) characters; word: train \(trainWord), encode "
            + "\(encodeWord) (\(wordIDs.reduce(0) { $0 + $1.count }) tokens); BPE 8000: train \(trainBPE), encode "
            + "\(encodeBPE) (\(ids.reduce(0) { $0 + $1.count }) tokens), encode with a fresh cache \(encodeCold), "
            + "decode \(decode)")
        XCTAssertEqual(bpe.vocabularySize, 8000)
        XCTAssertEqual(coldIDs, ids)
        XCTAssertEqual(decoded, text)
    }
}
