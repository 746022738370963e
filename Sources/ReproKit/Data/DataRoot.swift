import Foundation

/// Which part of a data set.
public enum DataSplit: String, Sendable, CaseIterable {
    case train, test
}

/// Where `repro data fetch` puts data sets: `$REPRO_DATA`, else `~/.cache/repro/data`.
public enum DataRoot {
    public static var path: String {
        if let p = ProcessInfo.processInfo.environment["REPRO_DATA"], !p.isEmpty { return p }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/repro/data"
    }
}
