import AWSSigner
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Credentials printed by an external command: a profile's `credential_process`.
///
/// The command runs through `/bin/sh -c` (as the Go and Java SDKs run it) with the process
/// environment, and must print JSON on stdout:
/// `{"Version": 1, "AccessKeyId": …, "SecretAccessKey": …, "SessionToken": …, "Expiration": …}`
/// (the last two optional). Its output is never put into an error; its stderr is passed through
/// to strata's stderr, where tools such as aws-vault ask their questions.
public struct ProcessCredentialProvider: CredentialProvider {
    let command: String
    let profile: String?
    let timeout: TimeInterval

    /// Runs `command` for credentials; `profile` names the profile in errors.
    public init(command: String, profile: String? = nil, timeout: TimeInterval = 60) {
        self.command = command
        self.profile = profile
        self.timeout = timeout
    }

    public func credentials() async throws -> AWSCredentials {
        let (status, output) = try await run()
        guard status == 0 else {
            throw fail("credential_process exited with status \(status)")
        }
        struct Body: Decodable {
            var Version: Int?
            var AccessKeyId: String?
            var SecretAccessKey: String?
            var SessionToken: String?
            var Expiration: String?
        }
        guard let body = try? JSONDecoder().decode(Body.self, from: output) else {
            throw fail("credential_process did not print the expected JSON")
        }
        guard body.Version == 1 else {
            throw fail("credential_process printed Version \(body.Version.map(String.init) ?? "none"); strata reads Version 1")
        }
        guard let key = body.AccessKeyId, !key.isEmpty, let secret = body.SecretAccessKey, !secret.isEmpty else {
            throw fail("credential_process printed no AccessKeyId or SecretAccessKey")
        }
        var expiration: Date?
        if let text = body.Expiration {
            guard let date = CredentialDates.parse(text) else {
                throw fail("credential_process printed an Expiration that is not ISO 8601")
            }
            expiration = date
        }
        return AWSCredentials(accessKeyID: key, secretAccessKey: secret, sessionToken: body.SessionToken, expiration: expiration)
    }

    /// Runs the command on a thread of its own (waiting for a process must not hold a task
    /// thread); stops it with SIGTERM when it outlives the timeout.
    private func run() async throws -> (Int32, Data) {
        let command = self.command
        let timeout = self.timeout
        let failure = fail
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", command]
                let stdout = Pipe()
                process.standardOutput = stdout
                process.standardInput = FileHandle.nullDevice
                let output = ProcessOutput()
                stdout.fileHandleForReading.readabilityHandler = { handle in
                    let chunk = handle.availableData
                    if chunk.isEmpty {
                        handle.readabilityHandler = nil
                        output.finish()
                    } else {
                        output.append(chunk)
                    }
                }
                let exited = DispatchSemaphore(value: 0)
                process.terminationHandler = { _ in exited.signal() }
                do {
                    try process.run()
                } catch {
                    stdout.fileHandleForReading.readabilityHandler = nil
                    continuation.resume(throwing: failure("credential_process could not start: \(error.localizedDescription)"))
                    return
                }
                if exited.wait(timeout: .now() + timeout) == .timedOut {
                    process.terminate()
                    // A child spawned from a Swift thread can inherit a mask that blocks SIGTERM;
                    // SIGKILL cannot be blocked, so a hung command never outlives its timeout.
                    if exited.wait(timeout: .now() + 1) == .timedOut {
                        kill(process.processIdentifier, SIGKILL)
                    }
                    stdout.fileHandleForReading.readabilityHandler = nil
                    continuation.resume(throwing: failure("credential_process did not finish within \(Int(timeout)) s"))
                    return
                }
                // The output may still be draining (or held open by a child the command left behind).
                output.waitForEnd(upTo: 2)
                stdout.fileHandleForReading.readabilityHandler = nil
                continuation.resume(returning: (process.terminationStatus, output.data))
            }
        }
    }

    private func fail(_ message: String) -> CredentialsError {
        CredentialsError(source: "process", profile: profile, message: message)
    }
}

/// Stdout of a credential process, filled from the pipe's readability handler.
private final class ProcessOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()
    private let ended = DispatchSemaphore(value: 0)

    func append(_ chunk: Data) {
        lock.withLock { buffer.append(chunk) }
    }

    func finish() {
        ended.signal()
    }

    func waitForEnd(upTo seconds: TimeInterval) {
        _ = ended.wait(timeout: .now() + seconds)
    }

    var data: Data {
        lock.withLock { buffer }
    }
}
