import ArgumentParser
import TangleWatch

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show a watched root: records per verdict, files waiting, the recent rate and the last records.")

    @Option(help: "The watched root folder.")
    var root = "watch"

    @Option(help: "How many of the last records to show.")
    var last = 5

    func run() throws {
        print(WatchStatus(root: root, last: last).render(root: root))
    }
}
