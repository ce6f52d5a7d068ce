import Foundation

/// An AWS access key pair, with the session token and expiry that temporary credentials carry.
///
/// `description`, `debugDescription` and the reflection mirror (what `dump` and `print` show) never
/// contain the secret access key or the session token: they print `<redacted>` in their place.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The access key ID (`AKIA…` for long-term keys, `ASIA…` for temporary ones). Not a secret.
    public var accessKeyID: String
    /// The secret access key. Never printed.
    public var secretAccessKey: String
    /// The session token of temporary credentials; sent as `X-Amz-Security-Token`. Never printed.
    public var sessionToken: String?
    /// When temporary credentials stop working; `nil` for long-term keys.
    public var expiration: Date?

    /// Creates credentials from their parts.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    /// The access key ID and expiry, with the secret and the token redacted.
    public var description: String {
        var parts = ["accessKeyID: \(accessKeyID)", "secretAccessKey: <redacted>"]
        parts.append("sessionToken: \(sessionToken == nil ? "nil" : "<redacted>")")
        if let expiration {
            parts.append("expiration: \(AWSDate.iso8601(expiration))")
        }
        return "AWSCredentials(\(parts.joined(separator: ", ")))"
    }

    /// Same as `description`: the secret and the token are redacted here too.
    public var debugDescription: String { description }

    /// A mirror without the secret or the token, so `dump(credentials)` cannot leak them.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessKeyID": accessKeyID,
                "secretAccessKey": "<redacted>",
                "sessionToken": sessionToken == nil ? "nil" : "<redacted>",
                "expiration": expiration.map(AWSDate.iso8601) ?? "nil",
            ],
            displayStyle: .struct
        )
    }
}
