import AWSClient
import Foundation
import StrataModel
import StrataProviders

/// Who holds a stack's lock, as the lock item says.
public struct LockHolder: Sendable, Equatable, Codable {
    /// `user@host` of the run.
    public var owner: String
    public var runID: String
    public var since: Date
    public var expires: Date

    public init(owner: String, runID: String, since: Date, expires: Date) {
        self.owner = owner
        self.runID = runID
        self.since = since
        self.expires = expires
    }
}

/// A lease per stack held in the account, so two pipelines never apply one stack at once: an
/// item in the DynamoDB table `strata-locks` written with a conditional PutItem (it succeeds only
/// if no item exists or the existing lease expired), renewed every lease/3 while the run lasts,
/// and deleted at the end on condition that the run id still matches. A crashed holder stops
/// renewing, so its lease expires and the next run takes over.
public actor StackLock {
    public static let defaultTable = "strata-locks"

    public let client: AWSClient
    public let stack: String
    public let owner: String
    public let runID: String
    public let lease: Duration
    public let table: String
    private let now: @Sendable () -> Date
    private var since: Date?
    private var renewal: Task<Void, Never>?

    public init(
        client: AWSClient, stack: String, runID: String, owner: String = StackLock.defaultOwner(),
        lease: Duration = .seconds(60), table: String = StackLock.defaultTable, now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.client = client
        self.stack = stack
        self.runID = runID
        self.owner = owner
        self.lease = lease
        self.table = table
        self.now = now
    }

    /// `$USER@hostname`.
    public static func defaultOwner() -> String {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }

    /// Takes the lock (creating the table on first use). Throws ``LockError/held(stack:holder:)``
    /// at once, naming the holder, when another run holds an unexpired lease.
    @discardableResult
    public func acquire() async throws -> LockHolder {
        try await Self.ensureTable(client: client, table: table)
        let start = now()
        let expires = start.addingTimeInterval(Self.seconds(lease))
        let taken = try await DynamoDB(client).put(
            table, item: item(since: start, expires: expires), condition: "attribute_not_exists(LockID) OR expires < :now",
            values: [":now": Self.number(start)])
        guard taken else {
            // A resent write whose first copy landed finds our own item.
            let holder = try await Self.holder(client: client, table: table, stack: stack)
            if let holder, holder.runID == runID {
                since = holder.since
                return holder
            }
            throw LockError.held(
                stack: stack, holder: holder ?? LockHolder(owner: "unknown", runID: "unknown", since: start, expires: start))
        }
        since = start
        return LockHolder(owner: owner, runID: runID, since: start, expires: expires)
    }

    /// Renews the lease every lease/3 until ``release()``. `onLost` is called (once) if a renewal
    /// finds the lock taken by someone else: the run should stop.
    public func startRenewing(onRenewed: @escaping @Sendable (Date) -> Void = { _ in }, onLost: @escaping @Sendable (any Error) -> Void) {
        renewal?.cancel()
        let period = lease / 3
        renewal = Task { [weak self] in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: period)
                } catch {
                    return
                }
                guard let self else { return }
                do {
                    onRenewed(try await self.renew())
                } catch is CancellationError {
                    return
                } catch let error as AWSError where error.isThrottling || error.isTransient {
                    continue  // The next period tries again; the lease still has two thirds left.
                } catch {
                    onLost(error)
                    return
                }
            }
        }
    }

    /// Pushes the lease's expiry forward, on condition that this run still holds it.
    @discardableResult
    public func renew() async throws -> Date {
        let start = since ?? now()
        let expires = now().addingTimeInterval(Self.seconds(lease))
        let renewed = try await DynamoDB(client).put(
            table, item: item(since: start, expires: expires), condition: "runId = :run", values: [":run": ["S": .string(runID)]])
        guard renewed else {
            throw LockError.notHeld(stack: stack, runID: runID, holder: try? await Self.holder(client: client, table: table, stack: stack))
        }
        return expires
    }

    /// Stops renewing and deletes the lock item if this run still holds it.
    ///
    /// The renewal is cancelled and waited for first: a renewal still in flight could otherwise
    /// report the lease lost once the item is gone, or renewed, after the run has ended and while
    /// the process exits (a task outliving the run, writing to the terminal and the events file
    /// as `exit` tears them down).
    public func release() async throws {
        let running = renewal
        renewal = nil
        running?.cancel()
        await running?.value
        try await Self.delete(client: client, table: table, stack: stack, runID: runID)
    }

    /// `strata force-unlock STACK RUN_ID`: deletes the stack's lock if `runID` holds it (naming
    /// the actual holder otherwise), whether or not its lease expired.
    public static func forceUnlock(client: AWSClient, stack: String, runID: String, table: String = defaultTable) async throws {
        try await ensureTable(client: client, table: table)
        let current = try await holder(client: client, table: table, stack: stack)
        guard let current, current.runID == runID else {
            throw LockError.notHeld(stack: stack, runID: runID, holder: current)
        }
        try await delete(client: client, table: table, stack: stack, runID: runID)
    }

    /// The current holder of `stack`'s lock, nil when unlocked.
    public static func holder(client: AWSClient, table: String = defaultTable, stack: String) async throws -> LockHolder? {
        guard let item = try await DynamoDB(client).item(table, key: key(stack)) else { return nil }
        return LockHolder(
            owner: item["owner"]?["S"]?.stringValue ?? "unknown", runID: item["runId"]?["S"]?.stringValue ?? "unknown",
            since: date(item["since"]), expires: date(item["expires"]))
    }

    private static func delete(client: AWSClient, table: String, stack: String, runID: String) async throws {
        let deleted = try await DynamoDB(client).delete(
            table, key: key(stack), condition: "runId = :run", values: [":run": ["S": .string(runID)]])
        // A resent delete whose first copy landed finds nothing: released all the same.
        guard !deleted, let current = try await holder(client: client, table: table, stack: stack) else { return }
        throw LockError.notHeld(stack: stack, runID: runID, holder: current)
    }

    /// Creates the lock table on first use (on-demand billing, key `LockID`) and waits until it
    /// is ACTIVE; a table another run is creating at the same moment is waited for, not an error.
    static func ensureTable(client: AWSClient, table: String) async throws {
        let dynamodb = DynamoDB(client)
        var current = try await dynamodb.tableStatus(table)
        if current == nil {
            try await dynamodb.createTable(table, hashKey: "LockID", tags: ["strata:purpose": "stack locks"])
            current = try await dynamodb.tableStatus(table)
        }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(120))
        while current != "ACTIVE" {
            guard clock.now < deadline else {
                throw LockError.table(
                    "timed out after 120 seconds waiting for the DynamoDB table \(table) to become ACTIVE (status \(current ?? "missing"))")
            }
            try await Task.sleep(for: .milliseconds(250))
            current = try await dynamodb.tableStatus(table)
        }
    }

    private static func key(_ stack: String) -> JSONValue { ["LockID": ["S": .string(stack)]] }

    private func item(since: Date, expires: Date) -> JSONValue {
        [
            "LockID": ["S": .string(stack)], "owner": ["S": .string(owner)], "runId": ["S": .string(runID)],
            "since": Self.number(since), "expires": Self.number(expires),
        ]
    }

    /// Epoch milliseconds as a DynamoDB number.
    private static func number(_ date: Date) -> JSONValue {
        ["N": .string(String(Int64((date.timeIntervalSince1970 * 1000).rounded())))]
    }

    private static func date(_ value: JSONValue?) -> Date {
        guard let text = value?["N"]?.stringValue, let millis = Double(text) else { return Date(timeIntervalSince1970: 0) }
        return Date(timeIntervalSince1970: millis / 1000)
    }

    /// A duration in seconds.
    public static func seconds(_ duration: Duration) -> TimeInterval {
        duration / .seconds(1)
    }
}
