import StrataModel
import StrataProviders

/// What runs a plan's rollouts for the ``Applier`` (StrataRollouts' engine, wired in by the
/// command line: the applier knows no rollout engine, as DESIGN.md's pipeline draws it).
public protocol RolloutRunner: Sendable {
    /// Runs `rollout`; `desired(address)` is the stack's desired resource for an address (a
    /// node pool's, for its green group). Returns lines for the run's report (what it did
    /// beyond its events: Karpenter nodes still behind, pods force-deleted). Throws what stopped it.
    func run(
        _ rollout: RolloutPlan, context: ProviderContext, events: EventEmitter, stop: StopRequest,
        desired: @escaping @Sendable (ResourceAddress) async throws -> DesiredResource
    ) async throws -> [String]
}

extension RolloutPlan {
    /// The attributes of each resource whose change this rollout performs: the cluster's
    /// version, the add-ons' versions, the node pools' versions (a blue/green pool's whole
    /// change: its green group is created as the stack wants it). Other changes of these
    /// resources still apply as updates.
    public var coveredAttributes: [ResourceAddress: Set<String>?] {
        var covered: [ResourceAddress: Set<String>?] = [cluster: ["version"]]
        for step in steps {
            switch step.kind {
            case .controlPlane: covered[step.target] = ["version"]
            case .addon: covered[step.target] = ["addon_version"]
            case .nodePoolInPlace: covered[step.target] = ["version", "release_version"]
            // nil: every attribute.
            case .nodePoolBlueGreen: covered[step.target] = .some(nil)
            case .karpenterDrift: break
            }
        }
        return covered
    }
}
