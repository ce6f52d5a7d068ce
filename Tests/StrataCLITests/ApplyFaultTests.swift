import Foundation
import StrataTestSupport
import Testing

/// Apply under a misbehaving AWS: injected throttling and 5xx are absorbed; a resource AWS
/// refuses fails alone, its dependents are skipped, independent work completes, and the error
/// shows the AWS code and request id. Faults hit every caller of a sandbox, so these tests run
/// on the exclusive one, never on the shared one other tests use.
@Suite(.serialized) struct ApplyFaultTests {
    @Test func applySucceedsUnderThrottlingAndServerErrors() async throws {
        try await Sandbox.shared().exclusive { sandbox in
            let copy = try StackCopy(of: "demo")
            defer { copy.remove() }
            let env = copy.environment(sandbox.environment)
            try await sandbox.setFaults(SandboxFaults(throttleRate: 0.3, seed: 11))
            try await sandbox.setFaults(SandboxFaults(errorRate: 0.05, seed: 12))
            let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            try await sandbox.clearFaults()
            #expect(apply.status == 0, "apply under faults failed:\n\(apply.stdout)\n\(apply.stderr)")
            let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
            #expect(census.vpcs == 1 && census.subnets == 4 && census.roles == 1, "\(census)")
            let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(plan.status == 0, "\(plan.stdout)")
            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(destroy.status == 0, "\(destroy.stdout)\n\(destroy.stderr)")
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
