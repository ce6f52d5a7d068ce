import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// TLS with a per-request CA, against a real TLS server (`openssl s_server -www`) whose
/// certificate a throwaway CA signed, as an EKS cluster's API server certificate is.
@Suite(.serialized) struct CurlTransportTLSTests {
    @Test func theRequestsCAIsTrustedAndOnlyIt() async throws {
        let server = try TLSServer.start()
        defer { server.stop() }
        let transport = CurlTransport(options: .init(connectTimeout: .seconds(5)))
        let url = try #require(URL(string: "https://127.0.0.1:\(server.port)/"))
        try await server.waitUntilServing(transport: transport, url: url)

        let trusted = try await transport.send(HTTPRequest(method: "GET", url: url, extraCAPEM: server.caPEM, timeout: .seconds(10)))
        #expect(trusted.status == 200)
        #expect(!trusted.body.isEmpty)

        let untrusted = try await #require(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "GET", url: url, timeout: .seconds(10)))
        }
        #expect(untrusted.kind == .tls)
        #expect(!untrusted.isRetryable)

        let otherCA = try await #require(throws: TransportError.self) {
            try await transport.send(HTTPRequest(method: "GET", url: url, extraCAPEM: server.otherCAPEM, timeout: .seconds(10)))
        }
        #expect(otherCA.kind == .tls)
    }
}

/// A CA, a server certificate for 127.0.0.1 it signed, a second unrelated CA, and
/// `openssl s_server` serving with them.
final class TLSServer: @unchecked Sendable {
    let port: Int
    let caPEM: String
    let otherCAPEM: String
    private let process: ChildProcess.Running
    private let directory: URL

    private init(port: Int, caPEM: String, otherCAPEM: String, process: ChildProcess.Running, directory: URL) {
        self.port = port
        self.caPEM = caPEM
        self.otherCAPEM = otherCAPEM
        self.process = process
        self.directory = directory
    }

    static func start() throws -> TLSServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("strata-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func openssl(_ arguments: [String]) throws {
            let run = try ChildProcess.run(
                URL(fileURLWithPath: "/usr/bin/env"), ["openssl"] + arguments, in: directory, timeout: .seconds(60))
            guard run.status == 0 else {
                throw TLSServerError("openssl \(arguments.prefix(2).joined(separator: " ")) failed with \(run.status)")
            }
        }
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj",
            "/CN=strata-test-ca",
        ])
        try openssl([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other.pem", "-days", "1", "-subj",
            "/CN=other-ca",
        ])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(to: directory.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1",
            "-extfile", "ext.cnf",
        ])

        let port = try LoopbackSocket().port
        let process = try ChildProcess.launch(
            URL(fileURLWithPath: "/usr/bin/env"),
            ["openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", "server.pem", "-key", "server.key", "-www", "-quiet"],
            in: directory, stdinPipe: true)
        return TLSServer(
            port: port,
            caPEM: try String(contentsOf: directory.appendingPathComponent("ca.pem"), encoding: .utf8),
            otherCAPEM: try String(contentsOf: directory.appendingPathComponent("other.pem"), encoding: .utf8),
            process: process, directory: directory)
    }

    /// Polls (with a deadline) until the server accepts connections.
    func waitUntilServing(transport: CurlTransport, url: URL) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let status = process.exitStatus { throw TLSServerError("openssl s_server exited with \(status)") }
            do {
                _ = try await transport.send(HTTPRequest(method: "GET", url: url, extraCAPEM: caPEM, timeout: .seconds(2)))
                return
            } catch let error as TransportError where error.kind == .connectionRefused {
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        throw TLSServerError("openssl s_server did not listen on \(port) in time")
    }

    /// Signals the server and returns; the thread waiting for it reaps it.
    func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }
}

struct TLSServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
