import ArgumentParser
import Foundation
import StrataExecutor
import StrataProviders
import StrataSyntax

/// Where every command prints its errors (standard error). A failure that knows its place in
/// the stack (a resource step's ``ProviderError``) is rendered by the compiler's
/// ``DiagnosticRenderer``: `file:line:col: error: ...`, the line with a caret when the stack's
/// text is at hand, then the AWS code, request id and resource as notes. Anything else is one
/// `error: ...` line.
enum ErrorReport {
    static func print(_ error: any Error, sources: SourceFiles = SourceFiles()) {
        if let failure = error as? ProviderError {
            write(renderer(sources).render([failure.diagnostic()]))
        } else {
            write("error: \(error)\n")
        }
    }

    /// The failed operations of a run, as diagnostics, in stack order.
    static func print(_ failures: [OperationFailure], sources: SourceFiles) {
        guard !failures.isEmpty else { return }
        write("\n" + renderer(sources).render(failures.map(\.diagnostic)))
    }

    /// How standard error shows diagnostics: colour on a terminal, paths relative to here.
    static func renderer(_ sources: SourceFiles) -> DiagnosticRenderer {
        DiagnosticRenderer(sources: sources, colour: Terminal.colourOnStandardError, relativeTo: FileManager.default.currentDirectoryPath)
    }

    private static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

/// Prints an error the way every command does and exits 1.
enum Failing {
    static func report<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch {
            ErrorReport.print(error)
            throw ExitCode.failure
        }
    }

    static func report<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as ExitCode {
            throw error
        } catch {
            ErrorReport.print(error)
            throw ExitCode.failure
        }
    }
}
