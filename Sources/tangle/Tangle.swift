import ArgumentParser
import TangleTraining

/// The `tangle` command line: thin commands that parse arguments and call the library.
@main
struct Tangle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tangle",
        abstract: "Out-of-distribution detection with an entangled classifier and Deep k-Nearest Neighbors.",
        version: "tangle \(tangleVersion)",
        subcommands: [Train.self, CalibrateCommand.self, ClassifyCommand.self, WatchCommand.self, StatusCommand.self, Evaluate.self, Info.self, Entanglement.self, SeparationCommand.self, AttackCommand.self, Bench.self, Version.self])

    /// Makes OpenBLAS run the processor's widest kernels (which may re-execute the process), names a
    /// misspelt command, then parses and runs the command.
    static func main() async {
        BLASStartup.apply()
        if let message = CommandSuggestion.message(for: Array(CommandLine.arguments.dropFirst()), root: Tangle.self) {
            exit(withError: ValidationError(message))
        }
        await main(nil)
    }
}
