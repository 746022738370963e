import XCTest
import Foundation
import ReproKit

/// A tokenizer travels in a checkpoint's task state (as its `serialized` string), so that a
/// checkpoint decoded later gives exactly the tokens it was trained with.
final class TokenizerCheckpointTests: XCTestCase {
    func testTokenizersRoundTripThroughACheckpoint() throws {
        let text = ["En el principio creó Dios los cielos y la tierra.", "¿Quién es éste? ¡Mirad!",
                    "In the beginning God created the heaven and the earth.", "And God said, Let there be light."]
        let bpe = try BPETokenizer(training: text, vocabularySize: 120)
        let words = try WordTokenizer(training: text)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("repro-tok-\(UUID().uuidString).h5")
        defer { try? FileManager.default.removeItem(at: url) }
        let meta = CheckpointMetadata(plugin: "t", pluginVersion: "1", experiment: "t", configJSON: "{}")
        try Checkpoint.write(CheckpointContents(tensors: [], metadata: meta,
                                                task: TaskState(strings: ["bpe": bpe.serialized, "words": words.serialized])),
                             to: url)
        let saved = try Checkpoint.read(from: url).task.strings
        let bpe2 = try BPETokenizer(serialized: XCTUnwrap(saved["bpe"]))
        let words2 = try WordTokenizer(serialized: XCTUnwrap(saved["words"]))
        for line in text + ["Dios dijo: sea la luz."] {
            XCTAssertEqual(bpe2.encode(line), bpe.encode(line), line)
            XCTAssertEqual(words2.encode(line), words.encode(line), line)
            XCTAssertEqual(bpe2.decode(bpe.encode(line)), bpe.decode(bpe.encode(line)), line)
        }
        XCTAssertEqual(bpe2.vocabulary, bpe.vocabulary)
        XCTAssertEqual(bpe2.decode(bpe2.encode(text[1])), text[1])
    }
}
