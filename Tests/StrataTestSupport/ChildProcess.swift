import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Every process a test starts: `strata`, Checkov, Terraform, the sandbox, Python and OpenSSL
/// servers. One way to start them, because Foundation's `Process` on Linux is not safe when
/// tests start children on several threads at once, which they do:
///
/// - its pipes and the socket it learns of a child's exit through are opened without
///   close-on-exec, and it only closes what was open when it looked; a child started on one
///   thread while another thread opens them keeps a copy;
/// - when that child is a server that lives as long as the test process (the sandbox, a
///   Python metadata server), the other child's reader never sees end of file, nor does
///   Foundation ever see that child exit: `waitUntilExit` waits forever. A swift test run on CI
///   hung that way until its deadline; `ChildProcessTests` fails the same way on a runner built
///   on `Process`.
///
/// Here a child is started with `posix_spawn`: every descriptor this side opens is
/// close-on-exec, the child closes everything above 2 as it starts, its exit is read with
/// `waitpid`, and it leads a process group of its own with no signal blocked. Every wait has a
/// deadline: a child that outlives it is killed with its group, and the test fails with
/// ``Failure`` naming the command and the last of its output, instead of the whole run waiting
/// for CI's clock.
public enum ChildProcess {
    /// What a child run to its end left.
    public struct Finished: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
    }

    /// A child that could not start, or did not finish before its deadline (it has been killed).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Where a launched child's standard output and error go.
    public enum Output: Sendable {
        case null
        /// A pipe the test reads (``Running/readLine(timeout:)``).
        case pipe
        /// Both into this file, created or emptied first.
        case file(URL)
    }

    /// Runs a child to its end, blocking the calling thread (from async code, go through a
    /// thread of its own). `environment` is added to this process's. Both pipes are drained at
    /// once, so a chatty child never blocks on a full one.
    public static func run(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil,
        timeout: Duration = .seconds(600)
    ) throws -> Finished {
        let out = try CloseOnExecPipe(), err = try CloseOnExecPipe()
        let running = try Running(
            executable, arguments, environment: environment, directory: directory, stdin: nil, stdout: out.write, stderr: err.write)
        out.closeWrite()
        err.closeWrite()
        let deadline = ContinuousClock.now + timeout
        var drain = Drain([out.read, err.read])
        while !drain.finished {
            if ContinuousClock.now >= deadline {
                running.killGroup()
                let (stdout, stderr) = (drain.data[0], drain.data[1])
                throw Failure(
                    description: "\(describe(executable, arguments)) did not finish within \(timeout); killed.\n"
                        + "stdout ends:\n\(tail(stdout))\nstderr ends:\n\(tail(stderr))")
            }
            // Once the child has exited, what is left in the pipes is all it wrote; a grandchild
            // it left behind holding them must not keep this reader waiting.
            drain.step(exited: running.exited.hasHappened)
        }
        guard running.exited.wait(until: deadline) else {
            running.killGroup()
            throw Failure(description: "\(describe(executable, arguments)) closed its output but did not exit within \(timeout); killed")
        }
        return Finished(status: running.exitStatus ?? -1, stdout: drain.data[0], stderr: drain.data[1])
    }

    /// Starts a child that runs alongside the test (a server, or a run the test kills).
    /// `stdinPipe` gives it a standard input that this process holds open (``Running/closeInput()``):
    /// the servers here exit when it closes, which happens however the test process ends.
    public static func launch(
        _ executable: URL, _ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil,
        stdinPipe: Bool = false, output: Output = .null
    ) throws -> Running {
        let input = stdinPipe ? try CloseOnExecPipe() : nil
        var stdout: FileHandle?
        var stderr: FileHandle?
        var reader: FileHandle?
        var pipe: CloseOnExecPipe?
        switch output {
        case .null:
            break
        case .pipe:
            pipe = try CloseOnExecPipe()
            stdout = pipe?.write
            reader = pipe?.read
        case .file(let url):
            let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw Failure(description: "cannot open \(url.path): \(String(cString: strerror(errno)))") }
            stdout = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            stderr = stdout
        }
        let running = try Running(
            executable, arguments, environment: environment, directory: directory, stdin: input?.read, stdout: stdout, stderr: stderr)
        input?.closeRead()
        pipe?.closeWrite()
        if case .file = output { try? stdout?.close() }
        running.input = input?.write
        running.output = reader
        return running
    }

    static func describe(_ executable: URL, _ arguments: [String]) -> String {
        ([executable.lastPathComponent] + arguments.prefix(6)).joined(separator: " ") + (arguments.count > 6 ? " …" : "")
    }

    static func tail(_ data: Data) -> String {
        String(decoding: data.suffix(3000), as: UTF8.self)
    }

    /// A child started by ``launch(_:_:environment:in:stdinPipe:output:)``.
    public final class Running: @unchecked Sendable {
        public let pid: pid_t
        let exited = Latch()
        fileprivate(set) var input: FileHandle?
        fileprivate(set) var output: FileHandle?
        private let command: String
        private let statusLock = NSLock()
        private var status: Int32 = 0

        fileprivate init(
            _ executable: URL, _ arguments: [String], environment: [String: String], directory: URL?, stdin: FileHandle?,
            stdout: FileHandle?, stderr: FileHandle?
        ) throws {
            command = ChildProcess.describe(executable, arguments)
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            defer { if null >= 0 { close(null) } }
            pid = try Spawn.start(
                executable, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { _, given in given },
                directory: directory, descriptors: [stdin, stdout, stderr].map { $0?.fileDescriptor ?? null })
            // The waiting thread holds this object until the child exits, so a launched server
            // and the end of its input this side holds (whose closing tells it to exit) live on
            // whoever drops them.
            Thread.detachNewThread { [self] in
                var raw: Int32 = 0
                while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
                // Exited: its code; ended by a signal: the signal's number, as Foundation has it.
                let code = raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
                statusLock.withLock { status = code }
                exited.open()
            }
        }

        public var isRunning: Bool { !exited.hasHappened }

        /// The exit status (or the signal that ended it) once it has exited, nil while it runs.
        public var exitStatus: Int32? { exited.hasHappened ? statusLock.withLock { status } : nil }

        /// Writes `data` to its standard input (launched with `stdinPipe`): keys typed on the
        /// terminal a child runs under `script`.
        public func writeInput(_ data: Data) throws {
            guard let input else { throw Failure(description: "\(command) has no standard input pipe") }
            try input.write(contentsOf: data)
        }

        /// Closes its standard input: the servers here take that as the order to exit.
        public func closeInput() {
            try? input?.close()
            input = nil
        }

        /// Asks it to stop (SIGTERM).
        public func terminate() {
            if isRunning { kill(pid, SIGTERM) }
        }

        /// Kills it and everything it started (it leads a process group of its own).
        public func killGroup() {
            guard isRunning else { return }
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            _ = exited.wait(until: .now + .seconds(10))
        }

        /// Waits for it to exit; past the timeout it is killed and the wait fails.
        @discardableResult
        public func waitForExit(timeout: Duration) throws -> Int32 {
            if exited.wait(until: .now + timeout), let status = exitStatus { return status }
            killGroup()
            throw Failure(description: "\(command) did not exit within \(timeout); killed")
        }

        /// The next line it writes to its piped standard output (``Output/pipe``), without the
        /// newline; nil at end of file.
        public func readLine(timeout: Duration) throws -> String? {
            guard let fd = output?.fileDescriptor else { return nil }
            let deadline = ContinuousClock.now + timeout
            var line = Data()
            var byte: UInt8 = 0
            while true {
                let left = deadline - ContinuousClock.now
                guard left > .zero else {
                    throw Failure(
                        description: "\(command) wrote no line within \(timeout) (so far: \(String(decoding: line, as: UTF8.self)))")
                }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(min(left.components.seconds * 1000 + 1, 1000))
                guard poll(&poller, 1, milliseconds) > 0 else { continue }
                let count = read(fd, &byte, 1)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
                if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
                line.append(byte)
            }
        }
    }
}

/// `posix_spawn` with what the children here need.
private enum Spawn {
    private typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    // glibc's extensions, which Swift's Glibc module leaves out (glibc 2.34 and 2.29).
    private static let addClosefrom = libc("posix_spawn_file_actions_addclosefrom_np", as: AddClosefrom.self)
    private static let addChdir = libc("posix_spawn_file_actions_addchdir_np", as: AddChdir.self)

    /// Starts `executable` with `descriptors` as its 0, 1 and 2 and nothing else open; in a
    /// process group of its own, no signal blocked or ignored.
    static func start(_ executable: URL, _ arguments: [String], environment: [String: String], directory: URL?, descriptors: [Int32]) throws
        -> pid_t
    {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, descriptor) in descriptors.enumerated() {
            posix_spawn_file_actions_adddup2(&actions, descriptor, Int32(target))
        }
        _ = addClosefrom?(&actions, 3)
        if let directory {
            guard let addChdir else { throw ChildProcess.Failure(description: "this libc cannot start a child in another directory") }
            _ = directory.path.withCString { addChdir(&actions, $0) }
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A thread of the test runner may block signals its children should not inherit.
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let argv = cStrings([executable.path] + arguments)
        let envp = cStrings(environment.map { "\($0.key)=\($0.value)" })
        defer { for pointer in argv + envp { free(pointer) } }
        let result = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw ChildProcess.Failure(description: "cannot start \(executable.path): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// NUL-terminated copies and a closing nil, as exec wants them.
    private static func cStrings(_ strings: [String]) -> [UnsafeMutablePointer<CChar>?] {
        strings.map { strdup($0) } + [nil]
    }

    private static func libc<T>(_ name: String, as type: T.Type) -> T? {
        dlsym(UnsafeMutableRawPointer(bitPattern: 0), name).map { unsafeBitCast($0, to: type) }
    }
}

/// A pipe whose two ends close on exec: only a child handed an end through dup2 holds it.
private struct CloseOnExecPipe {
    let read: FileHandle
    let write: FileHandle

    /// glibc's `pipe2`, which Swift's Glibc module leaves out: it opens both ends close-on-exec
    /// in one step, where `pipe` and then `fcntl` would leave a moment for a spawn to copy them.
    private static let pipe2: @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32 = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2") else { fatalError("libc has no pipe2") }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32).self)
    }()

    init() throws {
        var fds: [Int32] = [0, 0]
        guard Self.pipe2(&fds, O_CLOEXEC) == 0 else {
            throw ChildProcess.Failure(description: "pipe2 failed: \(String(cString: strerror(errno)))")
        }
        read = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        write = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
    }

    /// The parent's copy of the end the child writes, closed once the child has its own.
    func closeWrite() { try? write.close() }
    func closeRead() { try? read.close() }
}

/// Reads several pipes at once until each is at end of file, or, once the child has exited,
/// until none has anything more to give.
private struct Drain {
    private let fds: [Int32]
    private var open: [Bool]
    var data: [Data]
    private var quietSinceExit: ContinuousClock.Instant?

    init(_ handles: [FileHandle]) {
        fds = handles.map(\.fileDescriptor)
        open = Array(repeating: true, count: handles.count)
        data = Array(repeating: Data(), count: handles.count)
    }

    var finished: Bool { !open.contains(true) }

    mutating func step(exited: Bool) {
        var pollers = fds.indices.map { pollfd(fd: open[$0] ? fds[$0] : -1, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&pollers, nfds_t(pollers.count), 50)
        if ready <= 0 {
            guard exited else { return }
            // Nothing came for a while after the exit: what is left is held by someone else.
            let now = ContinuousClock.now
            if let since = quietSinceExit, now - since > .seconds(2) {
                open = open.map { _ in false }
            } else if quietSinceExit == nil {
                quietSinceExit = now
            }
            return
        }
        quietSinceExit = nil
        var buffer = [UInt8](repeating: 0, count: 65536)
        for index in pollers.indices where open[index] && pollers[index].revents != 0 {
            let count = read(fds[index], &buffer, buffer.count)
            if count > 0 {
                data[index].append(contentsOf: buffer[0..<count])
            } else if count == 0 || errno != EINTR {
                open[index] = false
            }
        }
    }
}

/// Opens once; waiters wake then, or give up at their deadline.
final class Latch: @unchecked Sendable {
    private let condition = NSCondition()
    private var opened = false

    var hasHappened: Bool {
        condition.lock()
        defer { condition.unlock() }
        return opened
    }

    func open() {
        condition.lock()
        opened = true
        condition.broadcast()
        condition.unlock()
    }

    /// True once opened; false if the deadline came first.
    func wait(until deadline: ContinuousClock.Instant) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !opened {
            let left = deadline - ContinuousClock.now
            guard left > .zero else { return false }
            let seconds = Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18
            _ = condition.wait(until: Date(timeIntervalSinceNow: seconds))
        }
        return true
    }
}
