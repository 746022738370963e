import ArgumentParser
import Foundation
import ReproKit

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data", abstract: "Where each data set is, fetch it, check its published checksums.",
        subcommands: [ListData.self, Fetch.self, VerifyData.self])

    struct ListData: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Data sets and where they are.")
        func run() {
            let rows = DatasetRegistry.all.map { e in
                [e.name, DatasetRegistry.isPresent(e) ? "present" : "missing", e.directory, e.summary,
                 DatasetRegistry.isPresent(e) ? "" : e.installHint]
            }
            print(TextTable.render(header: ["data set", "status", "directory", "what", "how to get it"], rows: rows))
            print("(set $REPRO_DATA to move the download folder, now \(DataRoot.path))")
        }
    }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Download a data set and check its published checksum.")
        @Argument(help: "A data set repro downloads (see `repro data list`).") var name: String
        func run() throws {
            do {
                let e = try DatasetRegistry.entry(name)
                try DatasetRegistry.fetch(e) { print($0) }
                print("\(name): ready in \(e.directory)")
            } catch { throw fail(error) }
        }
    }

    struct VerifyData: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check a data set's files against published checksums.")
        @Argument(help: "A data set name (see `repro data list`).") var name: String
        func run() throws {
            do {
                let results = try DatasetRegistry.verify(try DatasetRegistry.entry(name))
                for r in results { print("\(r.ok ? "ok  " : "BAD ") \(r.file): \(r.detail)") }
                if results.contains(where: { !$0.ok }) { throw ExitCode(1) }
            } catch let e as ExitCode { throw e } catch { throw fail(error) }
        }
    }
}
