import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A real TCP listener on 127.0.0.1 for the transport's failure paths: one that never answers
/// (the kernel completes the handshake, nobody reads) and one that hangs up after reading.
final class LoopbackSocket: @unchecked Sendable {
    let fd: Int32
    let port: Int
    let url: URL

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: actual.sin_port))
        guard let url = URL(string: "http://127.0.0.1:\(port)/") else {
            close(fd)
            throw POSIXError(.EINVAL)
        }
        self.fd = fd
        self.port = port
        self.url = url
    }

    /// Accepts one connection on a dedicated thread, reads what the client sent, and closes it
    /// without answering.
    func hangUpAfterReading() {
        let fd = self.fd
        Thread {
            guard let client = Self.acceptRequest(fd) else { return }
            close(client)
        }.start()
    }

    /// Accepts one connection on a dedicated thread, reads the request, then answers 200 with a
    /// body that never ends: 64 KiB chunks until the client hangs up (or `limit` bytes, a bound
    /// for a client that never would). `sent` reports the bytes written once the client is gone.
    func streamWithoutEnd(limit: Int = 8 << 30, sent: @escaping @Sendable (Int) -> Void) {
        let fd = self.fd
        Thread {
            guard let client = Self.acceptRequest(fd) else { return }
            var total = 0
            let head = Array("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            if write(client, head, head.count) == head.count {
                let chunk = [UInt8](repeating: 0x61, count: 64 << 10)
                while total < limit {
                    let written = send(client, chunk, chunk.count, Int32(MSG_NOSIGNAL))
                    if written <= 0 { break }
                    total += written
                }
            }
            close(client)
            sent(total)
        }.start()
    }

    /// Accepts one connection and reads what the client sent (one read: a test request fits).
    private static func acceptRequest(_ fd: Int32) -> Int32? {
        let client = accept(fd, nil, nil)
        guard client >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        _ = read(client, &buffer, buffer.count)
        return client
    }

    deinit { close(fd) }
}

/// A port in the test range nothing listens on: bound to learn it is free, then released.
func unusedLoopbackPort() throws -> Int {
    let socket = try LoopbackSocket()
    return socket.port
}
