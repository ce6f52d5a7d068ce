import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// The whole production stack (97 resources: VPC with NAT per zone, EKS with node group,
/// add-ons, access entries, Karpenter's queue, rules and roles, manifests) applied on the sandbox
/// at time scale 0.01, planned again, and destroyed to nothing tagged.
@Suite struct ApplyProdTests {
    @Test(.timeLimit(.minutes(5))) func prodAppliesPlansCleanAndDestroysToNothing() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "prod")
        defer { copy.remove() }
        let env = copy.environment(sandbox)
        let apply = try StrataBinary.run(["apply", copy.path, "--auto-approve"], environment: env)
        #expect(apply.status == 0, "apply of prod failed:\n\(apply.stdout.suffix(4000))\n\(apply.stderr)")
        #expect(apply.stdout.contains("Apply complete: 97 created"), "\(apply.stdout.suffix(2000))")
        let census = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(census.vpcs == 1 && census.subnets == 9 && census.clusters == 1 && census.natGateways == 3, "\(census)")
        #expect(census.untaggedInVPC.isEmpty, "\(census.untaggedInVPC)")

        let plan = try StrataBinary.run(["plan", copy.path, "--detailed-exitcode"], environment: env)
        #expect(plan.status != 1, "plan after apply failed: \(plan.stderr)")
        // Known at the time of writing: the cluster and add-on providers read these two back as
        // null, so the plan after apply shows them as updates. Intermittent = passes once fixed.
        withKnownIssue(
            "aws_eks_cluster.encryption_config and aws_eks_addon.pod_identity_association read back as null", isIntermittent: true
        ) {
            #expect(plan.status == 0, "the plan after apply has changes:\n\(plan.stdout.suffix(3000))")
        }

        let destroy = try StrataBinary.run(["destroy", copy.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "destroy of prod failed:\n\(destroy.stdout.suffix(4000))\n\(destroy.stderr)")
        let after = try await StackCensus.take(sandbox.client(), stack: copy.stack)
        #expect(after.isEmpty, "left after destroy: \(after)")
    }
}
