import AWSClient
import Foundation
import StrataCompiler

/// Takes secrets out of an error before it reaches events, the report or the terminal: AWS
/// validation errors quote the value they refused (`Value '…' at 'tags.1.member.value' failed to
/// satisfy constraint`), and that value may be a secret the plan never shows.
enum SecretScrubbing {
    /// `error` with every text of `secrets` in its message replaced (``Swift/String/hiding(_:)``).
    /// An AWS error keeps its code and request id; another error that quoted a secret becomes a
    /// ``ScrubbedError`` with the cleaned description.
    static func hiding(_ secrets: Set<String>, in error: any Error) -> any Error {
        if var aws = error as? AWSError {
            aws.message = aws.message.hiding(secrets)
            return aws
        }
        let text = "\(error)"
        let clean = text.hiding(secrets)
        return clean == text ? error : ScrubbedError(description: clean)
    }
}

/// An error whose description quoted a secret, with the secret taken out.
struct ScrubbedError: Error, CustomStringConvertible {
    var description: String
}
