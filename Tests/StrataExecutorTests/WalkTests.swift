import Foundation
import Testing

@testable import StrataExecutor

/// The generic walk with a fake operation: pure and in memory, since the walk itself is not AWS.
@Suite struct WalkTests {
    /// Records starts and ends, and how many operations ran at once.
    actor Recorder {
        var starts: [String] = []
        var ends: [String] = []
        var running = 0
        var maxRunning = 0
        func start(_ node: String) {
            starts.append(node)
            running += 1
            maxRunning = max(maxRunning, running)
        }
        func end(_ node: String) {
            ends.append(node)
            running -= 1
        }
    }

    struct Boom: Error, Equatable { var node: String }

    @Test func dependenciesFinishBeforeDependentsStart() async {
        // a → b → d, a → c → d, e independent
        let deps: [String: Set<String>] = ["b": ["a"], "c": ["a"], "d": ["b", "c"]]
        let recorder = Recorder()
        let outcome = await Walk(nodes: ["a", "b", "c", "d", "e"], dependencies: deps, parallelism: 4).run { node in
            await recorder.start(node)
            try await Task.sleep(for: .milliseconds(20))
            await recorder.end(node)
        }
        #expect(outcome.succeeded)
        let starts = await recorder.starts
        let ends = await recorder.ends
        for (node, needs) in deps {
            for need in needs {
                let endIndex = try! #require(ends.firstIndex(of: need))
                let startIndex = try! #require(starts.firstIndex(of: node))
                // Every dependency ended before the dependent started.
                #expect(ends.prefix(endIndex + 1).contains(need))
                #expect(startIndex > starts.firstIndex(of: need)!)
            }
        }
        #expect(Set(outcome.completed) == ["a", "b", "c", "d", "e"])
    }

    @Test func startsEachNodeAsSoonAsItsOwnDependenciesFinish() async {
        // slow → after-slow; fast → after-fast. after-fast must not wait for slow (no levels):
        // slow finishes only once after-fast has started, so a walk by levels would hold slow
        // until its deadline and start after-fast last. Ordering, not wall time, is asserted.
        let deps: [String: Set<String>] = ["after-slow": ["slow"], "after-fast": ["fast"]]
        let clock = ContinuousClock()
        let begin = clock.now
        let times = TimeBook()
        let outcome = await Walk(nodes: ["slow", "fast", "after-slow", "after-fast"], dependencies: deps).run { node in
            await times.mark("start " + node, clock.now - begin)
            if node == "slow" {
                let deadline = clock.now + .seconds(10)
                while await times.value("start after-fast") == nil, clock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
            } else {
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        #expect(outcome.succeeded)
        let afterFast = try! #require(await times.value("start after-fast"))
        let afterSlow = try! #require(await times.value("start after-slow"))
        #expect(
            afterFast < afterSlow, "after-fast started at \(afterFast), after after-slow (\(afterSlow)): it waited for an unrelated node")
    }

    actor TimeBook {
        var entries: [String: Duration] = [:]
        func mark(_ key: String, _ value: Duration) { entries[key] = value }
        func value(_ key: String) -> Duration? { entries[key] }
    }

    @Test func parallelismIsBoundedAndReached() async {
        let nodes = (0..<30).map { String(format: "n%02d", $0) }
        for limit in [1, 4, 10] {
            let recorder = Recorder()
            let outcome = await Walk(nodes: nodes, dependencies: [:], parallelism: limit).run { node in
                await recorder.start(node)
                try await Task.sleep(for: .milliseconds(15))
                await recorder.end(node)
            }
            #expect(outcome.succeeded)
            #expect(await recorder.maxRunning == limit)
        }
    }

    @Test func aFailureSkipsItsDependentsOnceAndLetsIndependentWorkFinish() async {
        // a fails; b depends on a, c on b (transitively skipped), d on a and e; e, f independent.
        let deps: [String: Set<String>] = ["b": ["a"], "c": ["b"], "d": ["a", "e"]]
        let recorder = Recorder()
        var skips: [(String, String)] = []
        let outcome = await Walk(nodes: ["a", "b", "c", "d", "e", "f"], dependencies: deps).run(
            { node in
                await recorder.start(node)
                if node == "a" { throw Boom(node: node) }
                try await Task.sleep(for: .milliseconds(10))
            },
            onSkip: { skips.append(($0, $1)) })
        #expect(outcome.failures.count == 1)
        #expect((outcome.failures["a"] as? Boom) == Boom(node: "a"))
        #expect(outcome.skipped == ["b": "a", "c": "a", "d": "a"])
        #expect(skips.map(\.0).sorted() == ["b", "c", "d"])
        #expect(Set(outcome.completed) == ["e", "f"])
        let started = Set(await recorder.starts)
        #expect(started.isDisjoint(with: ["b", "c", "d"]))
        #expect(!outcome.succeeded)
    }

    @Test func cancellationStopsNewStartsAndReportsTheRest() async {
        // A chain: cancelling while the first runs leaves the rest unstarted.
        let deps: [String: Set<String>] = ["b": ["a"], "c": ["b"]]
        let recorder = Recorder()
        let task = Task {
            await Walk(nodes: ["a", "b", "c"], dependencies: deps).run { node in
                await recorder.start(node)
                try await Task.sleep(for: .seconds(5))
            }
        }
        while await recorder.starts.isEmpty { try? await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        let outcome = await task.value
        #expect(outcome.interrupted == ["a"])
        #expect(Set(outcome.cancelled) == ["b", "c"])
        #expect(outcome.completed.isEmpty)
        #expect(await recorder.starts == ["a"])
    }

    @Test func aStopLetsRunningOperationsFinishAndStartsNothingMore() async {
        // A chain: stopped while the first runs, the first completes and the rest never start.
        let deps: [String: Set<String>] = ["b": ["a"], "c": ["b"]]
        let recorder = Recorder()
        let stop = StopRequest()
        let finish = AsyncStream<Void>.makeStream()
        let task = Task {
            await Walk(nodes: ["a", "b", "c"], dependencies: deps, stop: stop).run { node in
                await recorder.start(node)
                for await _ in finish.stream { break }
            }
        }
        while await recorder.starts.isEmpty { try? await Task.sleep(for: .milliseconds(5)) }
        stop.stop()
        finish.continuation.yield()
        finish.continuation.finish()
        let outcome = await task.value
        #expect(outcome.completed == ["a"])
        #expect(outcome.interrupted.isEmpty)
        #expect(Set(outcome.cancelled) == ["b", "c"])
        #expect(await recorder.starts == ["a"])
    }

    @Test func aCycleIsReportedAsBlockedNotHung() async {
        let outcome = await Walk(nodes: ["x", "y", "z"], dependencies: ["x": ["y"], "y": ["x"]]).run { _ in }
        #expect(outcome.completed == ["z"])
        #expect(Set(outcome.blocked) == ["x", "y"])
    }
}
