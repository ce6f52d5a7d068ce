import CCurl
import Foundation

/// The production ``HTTPTransport``: libcurl's multi interface driven by one dedicated thread.
///
/// Swift tasks never block: `send` registers the transfer with the loop thread and suspends on a
/// continuation that the loop resumes when libcurl reports the transfer done. The multi handle
/// keeps a connection cache, so keep-alive connections (and TLS sessions) are reused across
/// requests. Proxies come from the environment as libcurl reads them (`http_proxy`,
/// `https_proxy`, `no_proxy`; strata never sets `CURLOPT_PROXY`).
public final class CurlTransport: HTTPTransport {
    /// Tuning for the connection pool and deadlines.
    public struct Options: Sendable {
        /// Deadline for establishing a connection (TCP and TLS), separate from the request's total timeout.
        public var connectTimeout: Duration
        /// Most connections open to one host at once; transfers beyond it wait in libcurl's queue.
        public var maxConnectionsPerHost: Int
        /// Most idle connections kept for reuse.
        public var maxIdleConnections: Int

        public init(connectTimeout: Duration = .seconds(10), maxConnectionsPerHost: Int = 32, maxIdleConnections: Int = 64) {
            self.connectTimeout = connectTimeout
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxIdleConnections = maxIdleConnections
        }
    }

    private let loop: CurlMultiLoop
    private let options: Options

    /// Starts the loop thread. One transport per process is the intent: it owns the connection cache.
    public init(options: Options = Options()) {
        CurlGlobal.initialize()
        self.options = options
        self.loop = CurlMultiLoop(options: options)
    }

    deinit {
        loop.stop()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let transfer = try CurlTransfer(request: request, connectTimeout: options.connectTimeout)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                transfer.continuation = continuation
                loop.submit(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
    }
}

/// `curl_global_init` exactly once per process, before the first handle, and a handler for the
/// process's exit that stops every loop thread before libcurl's TLS library tears itself down.
///
/// Why: `exit` runs OpenSSL's cleanup (registered by `curl_global_init`) on the exiting thread
/// while loop threads still own multi handles with open TLS connections (the Kubernetes API's);
/// a loop waking from its poll then frees connection state OpenSSL has freed already, and glibc
/// aborts with "double free or corruption". Handlers run in reverse order of registration, so
/// this one, registered after `curl_global_init`, runs first: it stops every loop and waits
/// (bounded) until each has cleaned up its multi handle.
enum CurlGlobal {
    private static let once: Bool = {
        let ok = strata_curl_global_init_all() == CURLE_OK
        atexit { CurlMultiLoop.stopAll(waitingAtMost: .seconds(2)) }
        return ok
    }()
    static func initialize() { _ = once }
}

/// One in-flight exchange: the easy handle, the buffers libcurl writes into, and the continuation
/// to resume. Touched by the submitting task only before `submit`, then only by the loop thread.
final class CurlTransfer: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    let url: String
    var headerList: UnsafeMutablePointer<curl_slist>?
    var errorBuffer: UnsafeMutablePointer<CChar>
    var body = Data()
    var headers: [(name: String, value: String)] = []
    var continuation: CheckedContinuation<HTTPResponse, any Error>?
    /// Set (under the loop's lock) when the waiting task is cancelled.
    var cancelRequested = false
    /// The request's ``HTTPRequest/maxResponseBytes``.
    let maxResponseBytes: Int
    /// Set by the body callback when the body passed `maxResponseBytes` (it then refuses the data,
    /// which makes libcurl stop the transfer).
    var tooLarge = false

    init(request: HTTPRequest, connectTimeout: Duration) throws {
        var printable = URLComponents(url: request.url, resolvingAgainstBaseURL: false)
        printable?.query = nil
        url = printable?.string ?? request.url.host ?? "?"
        maxResponseBytes = request.maxResponseBytes
        guard let scheme = request.url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw TransportError(kind: .invalidRequest, url: url, detail: "only http and https URLs are supported")
        }
        guard let easy = curl_easy_init() else {
            throw TransportError(kind: .other, url: url, detail: "curl_easy_init failed")
        }
        handle = easy
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        do {
            try configure(request, connectTimeout: connectTimeout)
        } catch {
            release()
            throw error
        }
    }

    private func check(_ code: CURLcode, _ what: String) throws {
        guard code == CURLE_OK else {
            let message = String(cString: curl_easy_strerror(code))
            throw TransportError(kind: .invalidRequest, url: url, detail: "\(what): \(message)")
        }
    }

    private func configure(_ request: HTTPRequest, connectTimeout: Duration) throws {
        let h = handle
        try check(strata_curl_setopt_string(h, CURLOPT_URL, request.url.absoluteString), "URL")
        try check(strata_curl_setopt_pointer(h, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        try check(strata_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1), "nosignal")
        try check(strata_curl_setopt_string(h, CURLOPT_PROTOCOLS_STR, "http,https"), "protocols")
        try check(strata_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0), "redirects")
        try check(strata_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, connectTimeout.milliseconds), "connect timeout")
        try check(strata_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, request.timeout.milliseconds), "timeout")
        try check(strata_curl_setopt_long(h, CURLOPT_TCP_KEEPALIVE, 1), "keepalive")

        let method = request.method.uppercased()
        switch method {
        case "GET" where request.body.isEmpty:
            try check(strata_curl_setopt_long(h, CURLOPT_HTTPGET, 1), "GET")
        case "HEAD":
            try check(strata_curl_setopt_long(h, CURLOPT_NOBODY, 1), "HEAD")
        default:
            // POSTFIELDS carries the body for every method; CUSTOMREQUEST then names the method.
            try check(strata_curl_setopt_long(h, CURLOPT_POSTFIELDSIZE, request.body.count), "body size")
            try request.body.withUnsafeBytes { raw in
                // COPYPOSTFIELDS copies, so the Data need not outlive this call. An empty body
                // still needs a non-null pointer.
                let empty: [CChar] = [0]
                if let base = raw.baseAddress, raw.count > 0 {
                    try check(strata_curl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: base)), "body")
                } else {
                    try empty.withUnsafeBufferPointer { buf in
                        try check(
                            strata_curl_setopt_pointer(h, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: buf.baseAddress)),
                            "body")
                    }
                }
            }
            if method != "POST" {
                try check(strata_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, method), "method")
            }
        }

        // Headers exactly as signed. libcurl would add Content-Type and Expect on its own for a
        // body; an empty "Name:" line suppresses a default it would otherwise invent.
        var lines: [String] = []
        for (name, value) in request.headers {
            lines.append(value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        if request.header("Content-Type") == nil { lines.append("Content-Type:") }
        if request.header("Expect") == nil { lines.append("Expect:") }
        if request.header("Accept") == nil { lines.append("Accept:") }
        for line in lines {
            guard let appended = curl_slist_append(headerList, line) else {
                throw TransportError(kind: .other, url: url, detail: "out of memory building headers")
            }
            headerList = appended
        }
        try check(strata_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headerList), "headers")

        if let pem = request.extraCAPEM {
            let bytes = Array(pem.utf8)
            try bytes.withUnsafeBytes { raw in
                try check(strata_curl_setopt_blob_copy(h, CURLOPT_CAINFO_BLOB, raw.baseAddress, raw.count), "CA")
            }
        }

        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(strata_curl_setopt_write_callback(h, CURLOPT_WRITEFUNCTION, curlWriteBody), "write callback")
        try check(strata_curl_setopt_pointer(h, CURLOPT_WRITEDATA, me), "write data")
        try check(strata_curl_setopt_write_callback(h, CURLOPT_HEADERFUNCTION, curlWriteHeader), "header callback")
        try check(strata_curl_setopt_pointer(h, CURLOPT_HEADERDATA, me), "header data")
    }

    /// One header line from libcurl. A status line starts a new response (a proxy's CONNECT
    /// answer or a 100 Continue comes first), so it clears what came before.
    func receiveHeaderLine(_ line: String) {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            headers.removeAll()
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
        let value = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
        headers.append((name: name, value: value))
    }

    /// Called on the loop thread once libcurl is done with the handle.
    func finish(_ code: CURLcode) {
        let result: Result<HTTPResponse, any Error>
        if tooLarge {
            result = .failure(
                TransportError(
                    kind: .responseTooLarge, url: url,
                    detail: "the response body passed \(maxResponseBytes) bytes; strata stopped reading it"))
        } else if code == CURLE_OK {
            var status = 0
            _ = strata_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            result = .success(HTTPResponse(status: status, headers: headers, body: body))
        } else {
            result = .failure(transportError(code))
        }
        resume(result)
    }

    func resume(_ result: Result<HTTPResponse, any Error>) {
        let continuation = self.continuation
        self.continuation = nil
        release()
        continuation?.resume(with: result)
    }

    private func transportError(_ code: CURLcode) -> TransportError {
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let kind: TransportError.Kind
        switch code {
        case CURLE_COULDNT_CONNECT: kind = .connectionRefused
        case CURLE_OPERATION_TIMEDOUT: kind = .timedOut
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY: kind = .nameResolution
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2, CURLE_HTTP2_STREAM:
            kind = .connectionReset
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_SHUTDOWN_FAILED:
            kind = .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT: kind = .invalidRequest
        default: kind = .other
        }
        return TransportError(kind: kind, url: url, detail: detail)
    }

    private var released = false
    private func release() {
        guard !released else { return }
        released = true
        curl_easy_cleanup(handle)
        curl_slist_free_all(headerList)
        headerList = nil
        errorBuffer.deallocate()
    }
}

private func curlWriteBody(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    guard transfer.body.count + length <= transfer.maxResponseBytes else {
        // Anything but `length` makes libcurl end the transfer (CURLE_WRITE_ERROR).
        transfer.tooLarge = true
        return 0
    }
    if let data, length > 0 {
        data.withMemoryRebound(to: UInt8.self, capacity: length) { transfer.body.append($0, count: length) }
    }
    return length
}

private func curlWriteHeader(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user else { return 0 }
    let transfer = Unmanaged<CurlTransfer>.fromOpaque(user).takeUnretainedValue()
    let length = size * count
    if let data, length > 0 {
        let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        transfer.receiveHeaderLine(line)
    }
    return length
}

/// The thread that owns the multi handle. Other threads only hand it transfers (under a lock)
/// and wake it; everything libcurl does happens here.
final class CurlMultiLoop: @unchecked Sendable {
    private let multi: UnsafeMutableRawPointer?
    private let lock = NSLock()
    private var incoming: [CurlTransfer] = []
    private var cancelled: [CurlTransfer] = []
    private var stopping = false
    /// Owned by the loop thread only.
    private var active: [UnsafeMutableRawPointer: CurlTransfer] = [:]
    /// Signalled once the loop has cleaned up its multi handle and its thread is about to end.
    private let finished = DispatchSemaphore(value: 0)

    /// Every loop whose thread runs, for ``stopAll(waitingAtMost:)``.
    private static let runningLock = NSLock()
    nonisolated(unsafe) private static var running: [ObjectIdentifier: CurlMultiLoop] = [:]

    init(options: CurlTransport.Options) {
        multi = curl_multi_init()
        if let multi {
            _ = strata_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.maxConnectionsPerHost)
            _ = strata_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, options.maxIdleConnections)
        }
        Self.runningLock.lock()
        Self.running[ObjectIdentifier(self)] = self
        Self.runningLock.unlock()
        let thread = Thread { [self] in
            run()
            Self.runningLock.lock()
            Self.running[ObjectIdentifier(self)] = nil
            Self.runningLock.unlock()
            finished.signal()
        }
        thread.name = "strata.curl"
        thread.start()
    }

    /// Stops every running loop and waits until each has cleaned up, at most `limit` in all:
    /// the process is exiting, and no loop may touch libcurl or OpenSSL after this returns.
    static func stopAll(waitingAtMost limit: Duration) {
        runningLock.lock()
        let loops = Array(running.values)
        runningLock.unlock()
        for loop in loops { loop.stop() }
        let deadline = DispatchTime.now() + .milliseconds(limit.milliseconds)
        for loop in loops { _ = loop.finished.wait(timeout: deadline) }
    }

    func submit(_ transfer: CurlTransfer) {
        guard let multi else {
            transfer.resume(.failure(TransportError(kind: .other, url: transfer.url, detail: "curl_multi_init failed")))
            return
        }
        lock.lock()
        let refused = stopping
        if !refused { incoming.append(transfer) }
        lock.unlock()
        if refused {
            transfer.resume(.failure(TransportError(kind: .other, url: transfer.url, detail: "transport shut down")))
            return
        }
        curl_multi_wakeup(multi)
    }

    func cancel(_ transfer: CurlTransfer) {
        lock.lock()
        transfer.cancelRequested = true
        cancelled.append(transfer)
        lock.unlock()
        if let multi { curl_multi_wakeup(multi) }
    }

    func stop() {
        lock.lock()
        stopping = true
        lock.unlock()
        if let multi { curl_multi_wakeup(multi) }
    }

    private func run() {
        guard let multi else { return }
        while true {
            lock.lock()
            let adding = incoming.filter { !$0.cancelRequested }
            let cancelledEarly = incoming.filter { $0.cancelRequested }
            incoming.removeAll()
            let cancelling = cancelled
            cancelled.removeAll()
            let stop = stopping
            lock.unlock()

            for transfer in cancelledEarly { transfer.resume(.failure(CancellationError())) }
            for transfer in adding {
                let code = curl_multi_add_handle(multi, transfer.handle)
                if code == CURLM_OK {
                    active[transfer.handle] = transfer
                } else {
                    transfer.resume(
                        .failure(
                            TransportError(
                                kind: .other, url: transfer.url, detail: String(cString: curl_multi_strerror(code)))))
                }
            }
            // Identity, not the handle address: a finished transfer's handle may have been reused.
            for transfer in cancelling where active[transfer.handle] === transfer {
                curl_multi_remove_handle(multi, transfer.handle)
                active[transfer.handle] = nil
                transfer.resume(.failure(CancellationError()))
            }
            if stop {
                for (handle, transfer) in active {
                    curl_multi_remove_handle(multi, handle)
                    transfer.resume(.failure(TransportError(kind: .other, url: transfer.url, detail: "transport shut down")))
                }
                active.removeAll()
            }
            if stop { break }

            var running: Int32 = 0
            curl_multi_perform(multi, &running)
            var queued: Int32 = 0
            while let message = curl_multi_info_read(multi, &queued) {
                guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle else { continue }
                let code = strata_curl_msg_result(message)
                curl_multi_remove_handle(multi, handle)
                if let transfer = active.removeValue(forKey: handle) {
                    transfer.finish(code)
                }
            }
            var ready: Int32 = 0
            curl_multi_poll(multi, nil, 0, 1000, &ready)
        }
        curl_multi_cleanup(multi)
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a sub-millisecond deadline is not "no deadline" (0) to libcurl.
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let ms = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, ms))
    }
}
