import AWSClient
import Foundation

/// Takes secrets out of an error before it reaches events, the report or the terminal: AWS
/// validation errors quote the value they refused (`Value '…' at 'tags.1.member.value' failed to
/// satisfy constraint`), and that value may be a secret the plan never shows.
enum SecretScrubbing {
    /// Shorter texts are left alone: they would match ordinary words of a message, and hiding
    /// `true` or `443` protects nothing.
    static let minimumLength = 4

    /// `error` with every text of `secrets` in its message replaced by `(sensitive value)`. An
    /// AWS error keeps its code and request id; another error that quoted a secret becomes a
    /// ``ScrubbedError`` with the cleaned description.
    static func hiding(_ secrets: Set<String>, in error: any Error) -> any Error {
        // Longest first, so a secret that contains another is hidden whole.
        let texts = secrets.filter { $0.count >= minimumLength }.sorted { ($0.count, $0) > ($1.count, $1) }
        guard !texts.isEmpty else { return error }
        func scrub(_ text: String) -> String {
            texts.reduce(text) { $0.replacingOccurrences(of: $1, with: "(sensitive value)") }
        }
        if var aws = error as? AWSError {
            aws.message = scrub(aws.message)
            return aws
        }
        let text = "\(error)"
        let clean = scrub(text)
        return clean == text ? error : ScrubbedError(description: clean)
    }
}

/// An error whose description quoted a secret, with the secret taken out.
struct ScrubbedError: Error, CustomStringConvertible {
    var description: String
}
