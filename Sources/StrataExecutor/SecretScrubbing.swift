import AWSClient
import Foundation
import StrataCompiler
import StrataProviders

/// Takes secrets out of an error before it reaches events, the report or the terminal: AWS
/// validation errors quote the value they refused (`Value '…' at 'tags.1.member.value' failed to
/// satisfy constraint`), and that value may be a secret the plan never shows.
enum SecretScrubbing {
    /// `failure` with every text of `secrets` in its messages replaced
    /// (``Swift/String/hiding(_:)``); its code, request id, attribute and span are kept.
    static func hiding(_ secrets: Set<String>, in failure: ProviderError) -> ProviderError {
        guard !secrets.isEmpty else { return failure }
        var clean = failure
        switch failure.reason {
        case .aws(var aws):
            aws.message = aws.message.hiding(secrets)
            clean.reason = .aws(aws)
        case .invalidAttribute(let problem): clean.reason = .invalidAttribute(problem: problem.hiding(secrets))
        case .failed(let status, let detail): clean.reason = .failed(status: status.hiding(secrets), detail: detail.hiding(secrets))
        case .nameTaken(let name, let owner): clean.reason = .nameTaken(name: name.hiding(secrets), owner: owner.hiding(secrets))
        }
        return clean
    }
}
