import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// Connection reuse, seen from the server: a real HTTP/1.1 keep-alive server (Python's
/// `http.server`) answers each request with the client port of the connection it came on.
@Suite struct CurlTransportKeepAliveTests {
    @Test func sequentialRequestsReuseOneConnection() async throws {
        let server = try KeepAliveServer.start()
        defer { server.stop() }
        let transport = CurlTransport()
        var ports: Set<String> = []
        for _ in 0..<10 {
            let response = try await transport.send(HTTPRequest(method: "GET", url: server.url, timeout: .seconds(10)))
            #expect(response.status == 200)
            ports.insert(String(decoding: response.body, as: UTF8.self))
        }
        #expect(ports.count == 1, "\(ports)")
    }

    @Test func concurrentRequestsStayWithinTheConnectionLimit() async throws {
        let server = try KeepAliveServer.start()
        defer { server.stop() }
        let transport = CurlTransport(options: .init(maxConnectionsPerHost: 4))
        let url = server.url
        let ports = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    let response = try await transport.send(HTTPRequest(method: "GET", url: url, timeout: .seconds(10)))
                    return String(decoding: response.body, as: UTF8.self)
                }
            }
            var all: [String] = []
            for try await port in group { all.append(port) }
            return all
        }
        #expect(ports.count == 40)
        #expect(Set(ports).count <= 4, "\(Set(ports))")
    }
}

/// The keep-alive server, on a free loopback port, gone when this process is.
final class KeepAliveServer: @unchecked Sendable {
    let url: URL
    private let process: ChildProcess.Running

    private static let script = """
        import http.server, os, signal, sys, threading
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def do_GET(self):
                body = str(self.client_address[1]).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """

    private init(url: URL, process: ChildProcess.Running) {
        self.url = url
        self.process = process
    }

    static func start() throws -> KeepAliveServer {
        let process = try ChildProcess.launch(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script], stdinPipe: true, output: .pipe)
        // The first line is the port.
        guard let line = try process.readLine(timeout: .seconds(60)) else {
            throw TLSServerError("keep-alive server exited before printing its port")
        }
        guard let port = Int(line), let url = URL(string: "http://127.0.0.1:\(port)/") else {
            throw TLSServerError("keep-alive server printed no port")
        }
        return KeepAliveServer(url: url, process: process)
    }

    func stop() {
        process.terminate()
    }
}
