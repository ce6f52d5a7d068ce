import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// Apply under a misbehaving AWS: injected throttling and 5xx are absorbed on the production
/// stack; a resource AWS refuses fails alone, its dependents are skipped, independent work
/// completes, and the error shows the AWS code and request id. Faults hit every caller of a
/// sandbox, so these tests run on an exclusive one, never on the shared one other tests use.
/// Their time limits include waiting for it: the crash test holds the same one for minutes.
@Suite(.serialized) struct ApplyFaultTests {
    /// The production stack (97 resources, every service strata talks to) with 30% of requests
    /// throttled and 5% answered 500 (half of those after the request ran), on a sandbox at time
    /// scale 0.001. Every create must land exactly once: a create without a client token
    /// (AllocateAddress, CreateKey, CreateRole, CreateQueue, PutRule) answered 500 may have
    /// happened, and resending it blindly makes two.
    @Test(.timeLimit(.minutes(20))) func prodAppliesUnderThrottlingAndServerErrors() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.001) { sandbox in
            let copy = try StackCopy(of: "prod")
            defer { copy.remove() }
            let env = copy.environment(sandbox.environment, ["STRATA_DELETE_DEADLINE_SECONDS": "60"])
            try await sandbox.clearRequests()
            try await sandbox.setFaults(SandboxFaults(throttleRate: 0.3, seed: 11))
            // Half the 500s come after the request ran: a create AWS made though strata hears an
            // error, which resending blindly would make twice.
            try await sandbox.setFaults(SandboxFaults(errorRate: 0.025, errorStatus: 500, seed: 12))
            try await sandbox.setFaults(SandboxFaults(errorRate: 0.025, errorStatus: 500, errorAfter: true, seed: 13))
            let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            let served = try await sandbox.requests()
            try await sandbox.clearFaults()
            #expect(apply.status == 0, "apply of prod under faults failed:\n\(apply.stdout.suffix(4000))\n\(apply.stderr)")
            #expect(apply.stdout.contains("Apply complete: 97 created"), "\(apply.stdout.suffix(2000))")
            // The faults were there: a run that met none proves nothing.
            let throttled = served.filter { [400, 403, 429, 503].contains($0.status ?? 0) }.count
            let failed = served.filter { $0.status == 500 }.count
            print(
                "ApplyFaultTests: prod applied through \(served.count) requests, \(throttled) throttled or refused, \(failed) answered 500")
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

    /// Every kind of create whose answer AWS loses after making the resource (a 500 sent after
    /// the request ran): the retry must adopt and finish what the first attempt made, never make
    /// a second one. Most of these calls take no client token (AllocateAddress, CreateKey,
    /// CreateRole, CreatePolicy, CreateQueue, PutRule, CreateSecurityGroup, CreateVpc, ...).
    @Test(.timeLimit(.minutes(20))) func createsWhoseAnswerIsLostAreAdoptedNotMadeTwice() async throws {
        try await Sandbox.shared().exclusive(timeScale: 0.001) { sandbox in
            let copy = try StackCopy(of: "prod")
            defer { copy.remove() }
            let env = copy.environment(sandbox.environment, ["STRATA_DELETE_DEADLINE_SECONDS": "60"])
            try await sandbox.clearRequests()
            let lost: [(service: String, action: String, count: Int)] = [
                ("ec2", "CreateVpc", 1), ("ec2", "CreateSubnet", 3), ("ec2", "AllocateAddress", 3), ("ec2", "CreateSecurityGroup", 2),
                ("ec2", "CreateRouteTable", 2), ("ec2", "CreateInternetGateway", 1), ("ec2", "CreateLaunchTemplate", 1),
                ("ec2", "CreateNatGateway", 1), ("kms", "CreateKey", 1), ("iam", "CreateRole", 3), ("iam", "CreatePolicy", 2),
                ("iam", "CreateOpenIDConnectProvider", 1), ("sqs", "CreateQueue", 1), ("events", "PutRule", 2),
                ("logs", "CreateLogGroup", 1),
                ("eks", "CreateCluster", 1), ("eks", "CreateNodegroup", 1), ("eks", "CreateAddon", 2), ("eks", "CreateAccessEntry", 1),
                ("eks", "CreatePodIdentityAssociation", 1),
            ]
            for rule in lost {
                try await sandbox.setFaults(
                    SandboxFaults(
                        service: rule.service, action: rule.action, errorRate: 1, errorStatus: 500, errorAfter: true, count: rule.count))
            }
            let apply = try await StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
            let served = try await sandbox.requests()
            try await sandbox.clearFaults()
            #expect(apply.status == 0, "apply failed:\n\(apply.stdout.suffix(4000))\n\(apply.stderr)")
            for rule in lost {
                let failed = served.filter { $0.action == rule.action && $0.status == 500 }.count
                #expect(failed == rule.count, "\(rule.action): \(failed) answers lost, \(rule.count) meant")
            }
            let client = sandbox.client()
            let census = try await StackCensus.take(client, stack: copy.stack)
            #expect(
                census.vpcs == 1 && census.subnets == 9 && census.elasticIPs == 3 && census.securityGroups == 2 && census.routeTables == 5
                    && census.internetGateways == 1 && census.launchTemplates == 1 && census.natGateways == 3 && census.kmsKeys == 1
                    && census.roles == 6 && census.policies == 2 && census.oidcProviders == 1 && census.queues == 1
                    && census.eventRules == 4
                    && census.logGroups == 1 && census.clusters == 1 && census.nodeGroups == 1 && census.addons == 5
                    && census.accessEntries == 2 && census.podIdentityAssociations == 1,
                "not exactly the stack: \(census)")
            #expect(census.untaggedInVPC.isEmpty, "\(census.untaggedInVPC)")
            // The cluster's group declares no egress: AWS's allow-all, which its cut-short create
            // had not revoked yet, must be gone as after an uninterrupted create.
            let groups = try await client.query(
                .ec2, action: "DescribeSecurityGroups",
                parameters: [("Filter.1.Name", "group-name"), ("Filter.1.Value.1", "\(copy.stack)-cluster")])
            let egress = try #require(groups.first(named: "securityGroupInfo")?.items.first).child("ipPermissionsEgress")?.items ?? []
            #expect(egress.isEmpty, "the cluster's security group kept AWS's default egress")
            let plan = try await StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
            #expect(plan.status == 0, "the plan after apply has changes:\n\(plan.stdout.suffix(3000))\n\(plan.stderr)")
            let destroy = try await StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
            #expect(destroy.status == 0, "\(destroy.stdout.suffix(3000))\n\(destroy.stderr)")
            #expect(try await StackCensus.take(client, stack: copy.stack).isEmpty)
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
