import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The NAT gateway case of a killed destroy, made certain on a small stack: the gateway was
/// deleted by the killed run and is still `deleting` when the next destroy plans (so discovery
/// no longer lists it), and AWS refuses to release its address until it is `deleted`. The next
/// destroy must wait for it, not fail on the address.
@Suite(.serialized) struct DestroyNATDeletingTests {
    @Test(.timeLimit(.minutes(10))) func aDestroyFindingItsNATGatewayDeletingReleasesTheAddressOnceItIsGone()
        async throws
    {
        try await Sandbox.shared().exclusive(timeScale: 0.01) { sandbox in
            let copy = try StackCopy(of: "demo")
            defer { copy.remove() }
            let file = URL(fileURLWithPath: copy.path).appendingPathComponent("stack.yaml")
            let text = try String(contentsOf: file, encoding: .utf8)
            try text.replacingOccurrences(of: "nat: none", with: "nat: single").write(
                to: file, atomically: true, encoding: .utf8)
            let env = copy.environment(sandbox.environment, ["STRATA_DELETE_DEADLINE_SECONDS": "20"])
            let client = sandbox.client()
            let applied = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            try #require(applied.status == 0, "apply failed:\n\(applied.stdout.suffix(3000))\n\(applied.stderr)")
            let census = try await StackCensus.take(client, stack: copy.stack)
            try #require(census.natGateways == 1 && census.elasticIPs == 1, "\(census)")

            // What the killed destroy left: its gateway deleting (the clock stopped, as on AWS
            // where that takes about a minute).
            let gateways = try await client.query(
                .ec2, action: "DescribeNatGateways",
                parameters: [("Filter.1.Name", "tag:strata:stack"), ("Filter.1.Value.1", copy.stack)])
            let gateway = try #require(gateways.first(named: "natGatewayId")?.text)
            try await sandbox.freezeClock(true)
            _ = try await client.query(.ec2, action: "DeleteNatGateway", parameters: [("NatGatewayId", gateway)])

            let events = copy.root.appendingPathComponent("destroy.jsonl")
            let destroyed = try await ApplyCrashTests.runThawing(
                ["destroy", copy.path, "--auto-approve", "--events", events.path], env, sandbox, events: events,
                output: copy.root.appendingPathComponent("destroy.out"), planned: "destroy.started")
            #expect(destroyed.status == 0, "destroy failed:\n\(destroyed.output.suffix(3000))")
            let after = try await StackCensus.take(client, stack: copy.stack)
            #expect(after.isEmpty, "left after destroy: \(after)")
            let addresses = try await client.query(.ec2, action: "DescribeAddresses")
            #expect(addresses.first(named: "allocationId") == nil, "an address is left: \(addresses.toJSON())")
        }
    }
}
