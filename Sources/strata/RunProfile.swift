import AWSClient
import Foundation
import StrataCompiler
import StrataExecutor

/// Where a command's wall time went: compiling, AWS calls, Kubernetes API calls and the rest,
/// with how many compiles and evaluations it ran. `plan`, `apply` and `destroy` write it as the
/// last event of `--events FILE` (`run.profile`), so a pipeline or a benchmark can see that a
/// plan compiles once and what a no-op plan waits on, with no flag made for tests.
///
/// Call times are the wall time during which at least one call of the kind was in flight
/// (discovery sends many at once; summing them would count the same second eight times). AWS
/// and Kubernetes calls overlap during discovery, so their parts may add up to more than their
/// union; the rest is what is left after compiling and that union.
final class RunProfile: @unchecked Sendable {
    static let shared = RunProfile()
    static let kind = EventKind(rawValue: "run.profile")

    enum Calls: String { case aws, kubernetes }

    private struct Busy {
        var inFlight = 0
        var since: ContinuousClock.Instant?
        var seconds = 0.0
        var calls = 0

        mutating func start(at now: ContinuousClock.Instant) {
            calls += 1
            inFlight += 1
            if inFlight == 1 { since = now }
        }

        mutating func end(at now: ContinuousClock.Instant) {
            inFlight -= 1
            if inFlight == 0, let since { seconds += (now - since) / .seconds(1) }
        }
    }

    private let lock = NSLock()
    private let clock = ContinuousClock()
    private let started = ContinuousClock.now

    /// Starts the run's clock: first thing in a command, so the compile is inside the total.
    static func start() { _ = shared }
    private var busy: [Calls: Busy] = [:]
    /// Any call in flight, of either kind.
    private var calling = Busy()

    func measure<T>(_ calls: Calls, _ body: () async throws -> T) async rethrows -> T {
        lock.withLock {
            let now = clock.now
            busy[calls, default: Busy()].start(at: now)
            calling.start(at: now)
        }
        defer {
            lock.withLock {
                let now = clock.now
                busy[calls]?.end(at: now)
                calling.end(at: now)
            }
        }
        return try await body()
    }

    /// The event's payload: counts, seconds (three decimals) and each part's fraction of the total.
    var payload: [String: String] {
        let compiling = CompileCounter.shared.current
        let total = (clock.now - started) / .seconds(1)
        let (aws, kubernetes, either) = lock.withLock { (busy[.aws] ?? Busy(), busy[.kubernetes] ?? Busy(), calling) }
        let rest = max(0, total - compiling.seconds - either.seconds)
        func seconds(_ value: Double) -> String { String(format: "%.3f", value) }
        func fraction(_ value: Double) -> String { String(format: "%.3f", total > 0 ? value / total : 0) }
        return [
            "compiles": String(compiling.compiles), "evaluations": String(compiling.evaluations),
            "awsCalls": String(aws.calls), "kubernetesCalls": String(kubernetes.calls),
            "totalSeconds": seconds(total), "compileSeconds": seconds(compiling.seconds), "awsSeconds": seconds(aws.seconds),
            "kubernetesSeconds": seconds(kubernetes.seconds), "restSeconds": seconds(rest),
            "compileFraction": fraction(compiling.seconds), "awsFraction": fraction(aws.seconds),
            "kubernetesFraction": fraction(kubernetes.seconds), "restFraction": fraction(rest),
        ]
    }

    func emit(to events: EventEmitter) { events.emit(Self.kind, payload) }

    /// `plan`'s `--events FILE`: plan emits nothing else, so it writes the profile alone.
    struct Reporter {
        let events: EventEmitter?

        init(eventsPath: String?) throws {
            events = try eventsPath.map { path in
                EventEmitter(
                    runID: UUID().uuidString.lowercased(),
                    sink: try Failing.report { try JSONLinesEventSink(url: URL(fileURLWithPath: path)) })
            }
        }

        func report() {
            if let events { RunProfile.shared.emit(to: events) }
        }
    }
}

/// The transport every call of a run goes through (AWS's, and the Kubernetes APIs' reached with
/// the same transport), timed for ``RunProfile``. A request signed with SigV4 is an AWS call;
/// anything else (a bearer token) is a Kubernetes API call.
struct ProfiledTransport: HTTPTransport {
    let wrapped: any HTTPTransport

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let calls: RunProfile.Calls = request.header("Authorization")?.hasPrefix("AWS4-") == true ? .aws : .kubernetes
        return try await RunProfile.shared.measure(calls) { try await wrapped.send(request) }
    }
}
