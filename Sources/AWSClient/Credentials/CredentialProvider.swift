import AWSSigner
import Foundation

/// Something that supplies AWS credentials: a fixed key, the environment, a profile, STS, the
/// container or instance metadata endpoints, or a chain of them.
public protocol CredentialProvider: Sendable {
    /// Credentials valid now. Providers of temporary credentials refresh them before they expire.
    func credentials() async throws -> AWSCredentials
}

/// Why credentials could not be had. Names the source and the profile; never a secret.
public struct CredentialsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the failure happened: `environment`, `profile`, `assume-role`, `web-identity`,
    /// `container`, `instance-metadata`, `config-file` or `chain`.
    public var source: String
    /// The profile being resolved, when one was.
    public var profile: String?
    /// What went wrong, in words.
    public var message: String

    /// Creates an error.
    public init(source: String, profile: String? = nil, message: String) {
        self.source = source
        self.profile = profile
        self.message = message
    }

    /// `credentials (assume-role, profile "ci"): …`.
    public var description: String {
        let where_ = profile.map { "\(source), profile \"\($0)\"" } ?? source
        return "credentials (\(where_)): \(message)"
    }
}

/// Fixed credentials, as given.
public struct StaticCredentialProvider: CredentialProvider {
    let value: AWSCredentials

    /// Wraps a fixed key.
    public init(_ credentials: AWSCredentials) {
        self.value = credentials
    }

    public func credentials() async throws -> AWSCredentials { value }
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the optional `AWS_SESSION_TOKEN`
/// (with `AWS_CREDENTIAL_EXPIRATION`, ISO 8601, when a tool that exported them set it).
public struct EnvironmentCredentialProvider: CredentialProvider {
    let environment: [String: String]

    /// Reads the given environment (pass `ProcessInfo.processInfo.environment` in production).
    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// True when the environment names an access key: this source applies.
    public var isConfigured: Bool { nonEmpty("AWS_ACCESS_KEY_ID") != nil }

    public func credentials() async throws -> AWSCredentials {
        guard let key = nonEmpty("AWS_ACCESS_KEY_ID") else {
            throw CredentialsError(source: "environment", message: "AWS_ACCESS_KEY_ID is not set")
        }
        guard let secret = nonEmpty("AWS_SECRET_ACCESS_KEY") else {
            throw CredentialsError(
                source: "environment", message: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not")
        }
        return AWSCredentials(
            accessKeyID: key, secretAccessKey: secret, sessionToken: nonEmpty("AWS_SESSION_TOKEN"),
            expiration: nonEmpty("AWS_CREDENTIAL_EXPIRATION").flatMap(CredentialDates.parse))
    }

    private func nonEmpty(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// The timestamps credential sources write: ISO 8601, with or without fractional seconds.
enum CredentialDates {
    static func parse(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: trimmed) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: trimmed)
    }
}
