import StrataModel

/// The findings the rollout planner makes, each with what to do about it.
extension RolloutFinding {
    static func versionBehindLive(_ target: ResourceAddress, declared: MinorVersion, live: MinorVersion, at span: SourceSpan?)
        -> RolloutFinding
    {
        RolloutFinding(
            severity: .warning, code: "version-behind-live",
            message: "\(target) runs Kubernetes \(live) but the stack says \(declared) (upgraded by `strata upgrade`, or outside strata); "
                + "EKS cannot downgrade, so the plan changes nothing",
            fix: "set the version to \"\(live)\"" + (span.map { " at \($0)" } ?? ""), target: target, span: span)
    }

    static func poolLeads(_ pool: Pool, clusterTarget: MinorVersion) -> RolloutFinding {
        RolloutFinding(
            severity: .blocking, code: "version-skew",
            message:
                "node pool \(pool.declaredName) asks for \(pool.wanted), above its cluster's \(clusterTarget): node pools never lead the control plane",
            fix: "set the pool's version to \(clusterTarget) or lower", target: pool.address, span: pool.versionSpan)
    }

    static func poolTooFarBehind(_ pool: Pool, clusterTarget: MinorVersion) -> RolloutFinding {
        RolloutFinding(
            severity: .blocking, code: "version-skew",
            message: "node pool \(pool.declaredName) is pinned at \(pool.wanted), but EKS refuses to move the control plane to "
                + "\(clusterTarget) while a managed node group is not at \(clusterTarget.previous)",
            fix: "set the pool's version to \(clusterTarget.previous) or \(clusterTarget) (or remove the pin so it follows the cluster)",
            target: pool.address, span: pool.versionSpan)
    }

    static func greenNotAtControlPlane(_ pool: Pool, controlPlane: MinorVersion) -> RolloutFinding {
        RolloutFinding(
            severity: .blocking, code: "green-version",
            message: "node pool \(pool.declaredName) asks for \(pool.wanted), but a blue/green rollout creates the green group, and EKS "
                + "creates node groups only at the control plane's version (\(controlPlane))",
            fix: "set the pool's version to \(controlPlane), or use `rollout: { strategy: rolling }` to move it in place",
            target: pool.address, span: pool.versionSpan)
    }

    static func addonUnpublished(_ addon: RolloutPlanner.Member, name: String, minor: MinorVersion) -> RolloutFinding {
        RolloutFinding(
            severity: .blocking, code: "addon-version",
            message: "EKS publishes no version of add-on \(name) for Kubernetes \(minor) (DescribeAddonVersions)",
            fix: "remove the add-on before the upgrade, or upgrade to a minor it supports", target: addon.address,
            // Its entry in the stack (`addons: { name: "" }`) when a module argument sets it.
            span: addon.spans["addon_version"] ?? addon.spans["addon_name"])
    }

    static func addonPinMissing(_ addon: RolloutPlanner.Member, name: String, pin: String, minor: MinorVersion) -> RolloutFinding {
        RolloutFinding(
            severity: .blocking, code: "addon-version",
            message: "add-on \(name) is pinned at \(pin), which EKS does not publish for Kubernetes \(minor)",
            fix:
                "pin a version `aws eks describe-addon-versions --addon-name \(name) --kubernetes-version \(minor)` lists, or \"\" for EKS's default",
            target: addon.address, span: addon.spans["addon_version"])
    }

    static func subnetsFull(_ pool: Pool, free: Int, needed: Int) -> RolloutFinding {
        RolloutFinding(
            severity: .blocking, code: "subnet-ips",
            message: "node pool \(pool.declaredName)'s subnets (\(pool.subnets.joined(separator: ", "))) have \(free) free addresses; "
                + "its green group needs at least \(needed) while blue still runs",
            fix: "free addresses in those subnets, add subnets to the pool, or use `rollout: { strategy: rolling }`",
            target: pool.address, span: pool.versionSpan)
    }
}
