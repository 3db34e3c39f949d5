import ArgumentParser
import Foundation
import TangleWatch

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a watched root: records per verdict, files waiting, the recent rate, the last records, and whether a daemon holds it.")

    @Option(help: "The watched root folder.")
    var root = "watch"

    @Option(help: "How many of the last records to show.")
    var last = 5

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard last >= 0 else { throw ValidationError("--last must be 0 or more") }
        if let problem = WatchLayout(root: root).problem { throw ValidationError(problem) }
    }

    func run() throws {
        let status = WatchStatus(root: root, last: last)
        if status.damagedLines > 0 {
            FileHandle.standardError.write(
                Data(
                    ("tangle status: warning: skipped \(status.damagedLines) line(s) of \(root)'s verdict logs that are not records "
                        + "(cut by a crash or edited by hand); the counts leave them out\n").utf8))
        }
        if json {
            try printJSON(status.report(root: root))
        } else {
            print(status.render(root: root))
        }
    }
}
