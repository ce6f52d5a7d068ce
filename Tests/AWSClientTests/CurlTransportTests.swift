import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// A value set once from another thread, awaited with a deadline.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Int?
    func set(_ value: Int) { lock.withLock { stored = value } }
    func value(within limit: Duration) async throws -> Int {
        let end = ContinuousClock.now.advanced(by: limit)
        while ContinuousClock.now < end {
            if let value = lock.withLock({ stored }) { return value }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw POSIXError(.ETIMEDOUT)
    }
}

@Suite struct CurlTransportTests {
    let transport = CurlTransport(options: .init(connectTimeout: .seconds(2)))

    @Test func refusedConnectionIsARetryableTransportError() async throws {
        let port = try unusedLoopbackPort()
        let request = HTTPRequest(method: "GET", url: URL(string: "http://127.0.0.1:\(port)/")!, timeout: .seconds(5))
        let error = try await #require(throws: TransportError.self) { try await transport.send(request) }
        #expect(error.kind == .connectionRefused)
        #expect(error.isRetryable)
    }

    @Test func silentServerTimesOut() async throws {
        let server = try LoopbackSocket()
        let started = ContinuousClock.now
        let request = HTTPRequest(method: "GET", url: server.url, timeout: .milliseconds(300))
        let error = try await #require(throws: TransportError.self) { try await transport.send(request) }
        #expect(error.kind == .timedOut)
        #expect(error.isRetryable)
        // A loose bound: it tells a timeout from the hang it guards against, not how fast a
        // machine shared by hundreds of concurrent tests schedules (speed lives in benchmarks).
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func hangUpIsAConnectionReset() async throws {
        let server = try LoopbackSocket()
        server.hangUpAfterReading()
        let request = HTTPRequest(method: "POST", url: server.url, body: Data("x=1".utf8), timeout: .seconds(5))
        let error = try await #require(throws: TransportError.self) { try await transport.send(request) }
        #expect(error.kind == .connectionReset)
        #expect(error.isRetryable)
    }

    /// An endpoint that streams without end is cut off at the request's bound, with an error
    /// saying so, instead of growing strata until the runner dies (an 8 GiB bound on the
    /// server's side stands for "forever").
    @Test func aResponseWithoutEndStopsAtTheBound() async throws {
        let server = try LoopbackSocket()
        let sent = Counter()
        server.streamWithoutEnd { sent.set($0) }
        let request = HTTPRequest(method: "GET", url: server.url, timeout: .seconds(300), maxResponseBytes: 4 << 20)
        let error = try await #require(throws: TransportError.self) { try await transport.send(request) }
        #expect(error.kind == .responseTooLarge, "\(error)")
        #expect(!error.isRetryable)
        #expect("\(error)".contains("\(4 << 20) bytes"), "\(error)")
        // The server saw the connection closed well before its own bound.
        let written = try await sent.value(within: .seconds(60))
        #expect(written < 1 << 30, "the server wrote \(written) bytes before the client hung up")
    }

    @Test func nonHTTPSchemeIsRejectedBeforeSending() async throws {
        let request = HTTPRequest(method: "GET", url: URL(string: "file:///etc/passwd")!)
        let error = try await #require(throws: TransportError.self) { try await transport.send(request) }
        #expect(error.kind == .invalidRequest)
        #expect(!error.isRetryable)
    }

    @Test func cancellationStopsAWaitingRequest() async throws {
        let server = try LoopbackSocket()
        let transport = self.transport
        let task = Task {
            try await transport.send(HTTPRequest(method: "GET", url: server.url, timeout: .seconds(600)))
        }
        task.cancel()
        let started = ContinuousClock.now
        await #expect(throws: CancellationError.self) { try await task.value }
        // Far below the request's own 600 s timeout: cancellation, not the timeout, ended it.
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    @Test func roundTripsAndRunsManyRequestsConcurrently() async throws {
        let sandbox = try await Sandbox.shared()
        let url = sandbox.url.appendingPathComponent("_sandbox/health")
        let transport = self.transport
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    let response = try await transport.send(HTTPRequest(method: "GET", url: url, timeout: .seconds(30)))
                    #expect(!response.headers.isEmpty)
                    return response.status
                }
            }
            var all: [Int] = []
            for try await status in group { all.append(status) }
            return all
        }
        #expect(statuses.count == 40)
        // A bare moto answers the path with its own page; the sandbox with 200. Either way a response.
        #expect(Set(statuses).count == 1)
        if sandbox.hasControlEndpoints { #expect(statuses.first == 200) }
    }
}
