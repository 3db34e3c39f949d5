import ArgumentParser
import Foundation

/// Prints `Error: message` on stderr and gives the exit code to throw, for failures that are not
/// usage errors (those are `ValidationError`s: exit 64).
func failure(_ message: String, exitCode: Int32) -> ExitCode {
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    return ExitCode(exitCode)
}

/// sysexits(3) codes the commands use besides 64 (usage).
enum ExitCodes {
    /// EX_NOINPUT: the input named holds nothing to work on.
    static let noInput: Int32 = 66
}
