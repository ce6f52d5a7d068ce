import Foundation
import StrataTestSupport
import Testing

/// Apply under a misbehaving AWS: injected throttling and 5xx are absorbed on the production
/// stack; a resource AWS refuses fails alone, its dependents are skipped, independent work
/// completes, and the error shows the AWS code and request id. Faults hit every caller of a
/// sandbox, so these tests run on an exclusive one, never on the shared one other tests use.
@Suite(.serialized) struct ApplyFaultTests {
    /// The production stack (97 resources, every service strata talks to) with 30% of requests
    /// throttled and 5% answered 500, on a sandbox at time scale 0.001. Every create must land
    /// exactly once: a create without a client token (AllocateAddress, CreateKey, CreateRole,
    /// CreateQueue, PutRule) answered 500 may have happened, and resending it blindly makes two.
    @Test(.timeLimit(.minutes(5))) func prodAppliesUnderThrottlingAndServerErrors() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.001) { sandbox in
            let copy = try StackCopy(of: "prod")
            defer { copy.remove() }
            let env = copy.environment(sandbox.environment, ["STRATA_DELETE_DEADLINE_SECONDS": "60"])
            try await sandbox.clearFaults()
            try await sandbox.clearRequests()
            try await sandbox.setFaults(SandboxFaults(throttleRate: 0.3, seed: 11))
            try await sandbox.setFaults(SandboxFaults(errorRate: 0.05, errorStatus: 500, seed: 12))
            let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            let served = try await sandbox.requests()
            try await sandbox.clearFaults()
            #expect(apply.status == 0, "apply of prod under faults failed:\n\(apply.stdout.suffix(4000))\n\(apply.stderr)")
            #expect(apply.stdout.contains("Apply complete: 97 created"), "\(apply.stdout.suffix(2000))")
            // The faults were there: a run that met none proves nothing.
            let throttled = served.filter { [400, 403, 429, 503].contains($0.status ?? 0) }.count
            let failed = served.filter { $0.status == 500 }.count
            print("ApplyFaultTests: prod applied through \(served.count) requests, \(throttled) throttled or refused, \(failed) answered 500")
            #expect(throttled > served.count / 5 && failed > 0, "\(served.count) requests, \(throttled) throttled, \(failed) answered 500")

            let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
            #expect(
                census.vpcs == 1 && census.subnets == 9 && census.natGateways == 3 && census.elasticIPs == 3 && census.clusters == 1
                    && census.nodeGroups == 1 && census.addons == 5 && census.roles == 6 && census.policies == 2 && census.kmsKeys == 1
                    && census.queues == 1 && census.eventRules == 4 && census.launchTemplates == 1 && census.oidcProviders == 1
                    && census.logGroups == 1 && census.accessEntries == 2 && census.podIdentityAssociations == 1,
                "not exactly the stack: \(census)")
            #expect(census.untaggedInVPC.isEmpty, "\(census.untaggedInVPC)")
            let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(plan.status == 0, "the plan after apply has changes:\n\(plan.stdout.suffix(3000))\n\(plan.stderr)")
            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(destroy.status == 0, "\(destroy.stdout.suffix(3000))\n\(destroy.stderr)")
            #expect(try await StackCensus.take(sandbox.client(), stack: copy.stack).isEmpty)
        }
    }

    @Test func aRefusedResourceSkipsItsDependentsAndIndependentWorkCompletes() async throws {
        try await Sandbox.shared().exclusive { sandbox in
            let copy = try StackCopy(of: "demo")
            defer { copy.remove() }
            let env = copy.environment(sandbox.environment)
            // AWS refuses every CreateRouteTable (HTTP 500 each time, retries included).
            try await sandbox.setFaults(SandboxFaults(service: "ec2", action: "CreateRouteTable", errorRate: 1.0, seed: 1))
            let failed = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            try await sandbox.clearFaults()
            #expect(failed.status == 1)
            let out = failed.stdout
            #expect(out.contains("aws_route_table.public_routes[0]: create failed"), "\(out)")
            #expect(out.contains("[code "), "the failure should show the AWS error code: \(out)")
            #expect(out.contains("request id"), "the failure should show the request id: \(out)")
            // Dependents skipped (the route, both associations), each once, without repeating the error.
            #expect(out.contains("aws_route.public_internet[0]: skipped (depends on module.network.aws_route_table.public_routes[0]"))
            #expect(out.contains("aws_route_table_association.public_association[0]: skipped"))
            #expect(out.components(separatedBy: "create failed").count == 2, "the error is reported once: \(out)")
            #expect(out.contains("Apply failed: 9 created"), "\(out)")
            // Independent work is done.
            let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
            #expect(census.vpcs == 1 && census.subnets == 4 && census.roles == 1 && census.internetGateways == 1, "\(census)")
            #expect(census.routeTables == 0)

            // Without the fault, apply again finishes the job and the stack converges.
            let again = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
            #expect(again.stdout.contains("Apply complete: 4 created"), "\(again.stdout)")
            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
        }
    }
}
