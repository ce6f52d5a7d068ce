import Foundation
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The test runner's child processes. A swift test run on CI once hung until its deadline: a
/// `strata` child's output pipe, opened while another test started a server, was inherited by
/// that server, which lived as long as the run, so the reader never saw end of file. Here short
/// children run while long-lived ones start alongside, as the sandbox and the Python servers do,
/// and no long-lived child may hold any short child's pipe.
@Suite struct ChildProcessTests {
    @Test(.timeLimit(.minutes(5))) func longLivedChildrenStartedAlongsideHoldNoPipeOfAnother() async throws {
        let sleepers = Sleepers()
        defer { sleepers.stopAll() }
        // Two threads run short children, each naming its own stdout pipe (`pipe:[inode]`),
        // for as long as a third starts long-lived ones back to back.
        let pipes = try await withThrowingTaskGroup(of: [String].self) { group in
            group.addTask {
                try await StrataBinary.offPool {
                    while sleepers.count < Sleepers.wanted {
                        sleepers.add(try ChildProcess.launch(URL(fileURLWithPath: "/bin/sleep"), ["120"], stdinPipe: true))
                    }
                    return []
                }
            }
            for _ in 0..<2 {
                group.addTask {
                    try await StrataBinary.offPool {
                        var named: [String] = []
                        while sleepers.count < Sleepers.wanted || named.count < 50 {
                            let run = try ChildProcess.run(
                                URL(fileURLWithPath: "/bin/sh"), ["-c", "readlink /proc/self/fd/1"], timeout: .seconds(30))
                            named.append(String(decoding: run.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                        }
                        return named
                    }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(pipes.count >= 100 && pipes.allSatisfy { $0.hasPrefix("pipe:[") }, "\(pipes.prefix(3))")
        let held = Set(pipes).intersection(sleepers.descriptorTargets())
        #expect(held.isEmpty, "long-lived children hold the output pipes of \(held.count) of \(pipes.count) short ones: \(held.prefix(3))")
    }

    @Test func aChildPastItsDeadlineIsKilledAndNamed() throws {
        let started = ContinuousClock.now
        let failure = try #require(throws: ChildProcess.Failure.self) {
            try ChildProcess.run(URL(fileURLWithPath: "/bin/sh"), ["-c", "echo begun; exec sleep 60"], timeout: .seconds(1))
        }
        #expect(failure.description.contains("sh -c"), "\(failure)")
        #expect(failure.description.contains("begun"), "the output so far belongs in the error: \(failure)")
        #expect(ContinuousClock.now - started < .seconds(30), "the child was not killed at its deadline")
    }
}

/// The long-lived children of the test above.
private final class Sleepers: @unchecked Sendable {
    static let wanted = 300
    private let lock = NSLock()
    private var children: [ChildProcess.Running] = []

    var count: Int { lock.withLock { children.count } }

    func add(_ child: ChildProcess.Running) {
        lock.withLock { children.append(child) }
    }

    /// What every descriptor of every child points at (`pipe:[…]`, `/dev/null`, …).
    func descriptorTargets() -> Set<String> {
        var targets = Set<String>()
        for child in lock.withLock({ children }) {
            let directory = "/proc/\(child.pid)/fd"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(directory)/\(name)") {
                    targets.insert(target)
                }
            }
        }
        return targets
    }

    func stopAll() {
        for child in lock.withLock({ children }) { child.killGroup() }
    }
}
