import AWSClient
import StrataModel
import StrataSyntax

extension ProviderError {
    /// The status of a ``Reason/failed(status:detail:)`` that only carries another error's text
    /// (a wait that timed out, a connection that broke): the detail says it all.
    public static let unfinished = "unfinished"

    /// The failure as a compiler diagnostic, so the command line renders it with the same
    /// renderer: at the attribute's (or the block's) line when known, the AWS code and request id
    /// and the resource as notes. `action` is what was attempted (`create`, `replace (delete)`),
    /// when the error comes from one.
    public func diagnostic(action: String? = nil) -> Diagnostic {
        var notes: [Diagnostic.Note] = []
        if case .aws(let error) = reason {
            notes.append(Diagnostic.Note("AWS code \(error.code), request id \(error.requestID ?? "none given")"))
        }
        notes.append(Diagnostic.Note("resource \(subject)" + (attribute.map { ", attribute `\($0)`" } ?? "")))
        return .error(action.map { "\($0) \(subject) failed: \(what)" } ?? "\(subject): \(what)", at: span, notes: notes)
    }

    /// What went wrong, without the resource (the diagnostic names it) or the AWS code and
    /// request id (notes carry them).
    public var what: String {
        switch reason {
        case .aws(let error): return error.message.isEmpty ? error.code : error.message
        case .invalidAttribute(let problem): return attribute.map { "`\($0)` \(problem)" } ?? problem
        case .failed(let status, let detail) where status == Self.unfinished: return detail
        case .failed(let status, let detail): return detail.isEmpty ? status : "\(status): \(detail)"
        case .nameTaken: return summary
        }
    }
}
