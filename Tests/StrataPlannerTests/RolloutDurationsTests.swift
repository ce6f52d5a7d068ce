import AWSClient
import Foundation
import StrataTestSupport
import Testing

@testable import StrataPlanner

/// The plan's estimates are AWS's typical durations: the same table the sandbox's lifecycles run
/// on (`DURATIONS` in sandbox/strata_sandbox/eks.py), so a figure changed in one place fails here.
@Suite struct RolloutDurationsTests {
    /// The sandbox's table as it serves it (`GET /_sandbox/eks/durations`), or, from a sandbox
    /// that does not serve it yet, as eks.py declares it.
    static func sandboxTable() async throws -> [String: Int] {
        let sandbox = try await Sandbox.shared()
        let response = try await CurlTransport().send(
            HTTPRequest(method: "GET", url: sandbox.url.appendingPathComponent("_sandbox/eks/durations"), timeout: .seconds(30)))
        if response.status == 200, let object = try JSONSerialization.jsonObject(with: response.body) as? [String: Any] {
            let table = (object["durations"] as? [String: Any]) ?? object
            return table.compactMapValues { ($0 as? NSNumber)?.intValue }
        }
        let source = try String(
            contentsOf: ScratchStack.repository.appendingPathComponent("sandbox/strata_sandbox/eks.py"), encoding: .utf8)
        let block = try #require(
            source.range(of: "DURATIONS = {").flatMap { start in source[start.upperBound...].split(separator: "}").first })
        var table: [String: Int] = [:]
        for line in block.split(separator: "\n") {
            let parts = line.split(separator: ":")
            guard parts.count == 2, let value = Int(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " ,"))) else { continue }
            table[parts[0].trimmingCharacters(in: CharacterSet(charactersIn: " \""))] = value
        }
        return table
    }

    @Test func estimatesAreTheSandboxsLifecycleTable() async throws {
        let table = try await Self.sandboxTable()
        #expect(table["cluster.create"] != nil, "the sandbox's table was not read: \(table)")
        for (key, seconds) in RolloutDurations.awsTable.sorted(by: { $0.key < $1.key }) {
            #expect(
                table[key] == seconds, "\(key): strata estimates \(seconds) s, the sandbox runs \(table[key].map(String.init) ?? "nothing")"
            )
        }
    }

    /// EKS's in-place update as the sandbox runs it (sandbox/strata_sandbox/eks_rolling_update.py):
    /// setup, the surge's launch, a replacement per batch, and a launch more for each batch that
    /// starts while fewer new nodes run than the pool holds.
    @Test func inPlaceEstimatesFollowTheUpdatesPhases() async throws {
        let table = try await Self.sandboxTable()
        // The sandbox's own figure for its default group: 2 nodes, one at a time, in 2 zones.
        #expect(RolloutDurations.inPlace(nodes: 2, atOnce: 1, zones: 2) == table["nodegroup.version"])
        // 6 nodes in 3 zones, one at a time: the surge covers 3, each of the other 3 batches launches one.
        #expect(RolloutDurations.inPlace(nodes: 6, atOnce: 1, zones: 3) == 60 + 4 * 120 + 6 * 150)
        // Two at a time: 3 batches, the surge of 3 then two more launches.
        #expect(RolloutDurations.inPlace(nodes: 6, atOnce: 2, zones: 3) == 60 + 3 * 120 + 3 * 150)
        // A surge as large as the pool launches once.
        #expect(RolloutDurations.inPlace(nodes: 3, atOnce: 1, zones: 3) == 60 + 120 + 3 * 150)
    }
}
