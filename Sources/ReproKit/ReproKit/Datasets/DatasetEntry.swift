/// One data set repro knows: what it is, where it lives, its published checksums, and how to
/// get it. Adding a data set is adding one entry to `DatasetRegistry.all`; nothing else
/// switches on its name.
public struct DatasetEntry: Sendable {
    /// How a file is checked.
    public enum Checksum: Sendable {
        /// MD5 of the file as it is on disk (publishers that list md5sums).
        case md5(String)
        /// SHA-256 of the file as it is on disk (files that no one recompresses).
        case sha256(String)
        /// SHA-256 of the file's decompressed content: for files a packager recompresses,
        /// such as Debian's Fashion-MNIST, whose bytes on disk differ from the publisher's.
        case sha256OfContent(String)
    }

    /// A file of the data set, relative to its directory, and its checksum.
    public struct File: Sendable {
        public let name: String
        public let checksum: Checksum
        public init(name: String, checksum: Checksum) { self.name = name; self.checksum = checksum }
    }

    /// Where the files come from.
    public enum Source: Sendable {
        /// A published archive that `fetch` downloads, checks and unpacks into the directory.
        case archive(url: String, md5: String)
        /// Files that `fetch` downloads one by one from `baseURL` + their name.
        case files(baseURL: String)
        /// A Debian package installs the files; repro does not download them.
        case debianPackage(String)
    }

    /// What `repro data` commands and plugin configs call it.
    public let name: String
    /// What kind of examples it holds.
    public let kind: DatasetKind
    /// One line for `repro data list`: what it is, its size, its licence.
    public let summary: String
    /// Where its files are (or go when fetched).
    public let directory: String
    /// The files that `verify` checks; empty for an archive whose unpacked files are not listed.
    public let files: [File]
    /// Where the files come from, which decides what `fetch` does.
    public let source: Source
    /// The data set counts as present when this path (relative to `directory`) exists; nil:
    /// when all of `files` do. For an unpacked archive, the folder it unpacks to.
    public let presentPath: String?
    /// How to get it, shown when it is missing: the fetch command or the package to install.
    public let installHint: String

    /// - Parameter installHint: defaults to `repro data fetch <name>` for what repro downloads
    ///   and `apt-get install <package>` for a Debian package.
    public init(name: String, kind: DatasetKind, summary: String, directory: String, files: [File] = [],
                source: Source, presentPath: String? = nil, installHint: String? = nil) {
        self.name = name
        self.kind = kind
        self.summary = summary
        self.directory = directory
        self.files = files
        self.source = source
        self.presentPath = presentPath
        switch source {
        case .archive, .files: self.installHint = installHint ?? "repro data fetch \(name)"
        case .debianPackage(let package): self.installHint = installHint ?? "apt-get install \(package)"
        }
    }
}

/// What kind of examples a data set holds. Open: a paper that needs a new kind declares
/// `extension DatasetKind { static let audio = DatasetKind(rawValue: "audio") }`.
public struct DatasetKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// Labelled images (classification).
    public static let labeledImages = DatasetKind(rawValue: "labelled images")
    /// Images without labels (GANs, diffusion).
    public static let images = DatasetKind(rawValue: "images")
    /// Aligned sentences or verses in two languages (translation).
    public static let parallelText = DatasetKind(rawValue: "parallel text")
    /// Images with captions (CLIP-style contrastive training).
    public static let imageTextPairs = DatasetKind(rawValue: "image-text pairs")
}
