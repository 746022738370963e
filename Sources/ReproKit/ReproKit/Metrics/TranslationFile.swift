import Foundation

/// Why a translation file cannot be read; each message names the file and what to do.
public struct TranslationFileError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// Reading translations the way sacreBLEU's command line does: UTF-8, one sentence a line,
/// lines split at "\n" only, trailing whitespace (including a "\r") removed from each line.
public enum TranslationFile {
    /// The lines of the file at `path`.
    public static func lines(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw TranslationFileError(description: "\(path): no such file; give a text file with one sentence a line")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TranslationFileError(description: "\(path): cannot be read; check its permissions")
        }
        var parts = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        if parts.last?.isEmpty == true { parts.removeLast() }    // the final newline ends a line
        return try parts.enumerated().map { number, bytes in
            guard let line = String(validating: bytes, as: UTF8.self) else {
                throw TranslationFileError(description: "\(path): line \(number + 1) is not UTF-8; convert the file "
                                           + "to UTF-8 (e.g. iconv -f LATIN1 -t UTF-8)")
            }
            return PythonText.string(PythonText.rstrip(PythonText.codePoints(line)))
        }
    }

    /// A hypothesis file and its reference files, checked to be parallel: as many lines each.
    public static func corpus(hypothesis: String, references: [String]) throws -> (hypotheses: [String], references: [[String]]) {
        guard !references.isEmpty else {
            throw TranslationFileError(description: "no reference file: give at least one after \(hypothesis)")
        }
        let hyps = try lines(at: hypothesis)
        guard !hyps.isEmpty else {
            throw TranslationFileError(description: "\(hypothesis): the file is empty; give one translation a line")
        }
        let refs = try references.map { path -> [String] in
            let r = try lines(at: path)
            guard r.count == hyps.count else {
                throw TranslationFileError(description: "\(path) has \(r.count) lines but \(hypothesis) has \(hyps.count): "
                                           + "a reference file needs one line per translation, in the same order")
            }
            return r
        }
        return (hyps, refs)
    }
}
