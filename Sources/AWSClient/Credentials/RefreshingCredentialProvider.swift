import AWSSigner
import Foundation

/// Caches the credentials of a provider of temporary credentials and fetches new ones before the
/// old ones expire (by default 5 minutes before). Concurrent callers share one fetch.
///
/// If a fetch fails while the cached credentials have not yet expired, the cached ones are
/// returned (the fetch is tried again on the next call); once they have expired, the failure is thrown.
public actor RefreshingCredentialProvider: CredentialProvider {
    private let base: any CredentialProvider
    private let window: TimeInterval
    private let now: @Sendable () -> Date
    private var cached: AWSCredentials?
    private var inFlight: Task<AWSCredentials, any Error>?

    /// Wraps `base`. `refreshWindow` is how long before expiry a refresh starts; `now` is the clock.
    public init(
        _ base: any CredentialProvider, refreshWindow: TimeInterval = 300,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.base = base
        self.window = refreshWindow
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials {
        let time = now()
        if let cached, !needsRefresh(cached, at: time) { return cached }
        let task: Task<AWSCredentials, any Error>
        if let inFlight {
            task = inFlight
        } else {
            let base = self.base
            task = Task { try await base.credentials() }
            inFlight = task
        }
        do {
            let fresh = try await task.value
            if inFlight == task { inFlight = nil }
            cached = fresh
            return fresh
        } catch {
            if inFlight == task { inFlight = nil }
            if let cached, let expiration = cached.expiration, now() < expiration { return cached }
            throw error
        }
    }

    private func needsRefresh(_ credentials: AWSCredentials, at time: Date) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        return time >= expiration.addingTimeInterval(-window)
    }
}
