/// Every provider, by resource type. Each family of providers lists its own in one place
/// (`NetworkProviders.all`, ...), so adding a type touches only its family.
public enum ProviderRegistry {
    public static let all: [String: any ResourceProvider] = Dictionary(
        uniqueKeysWithValues: families.flatMap { $0 }.map { ($0.type, $0) })

    public static func provider(for type: String) -> (any ResourceProvider)? { all[type] }

    static let families: [[any ResourceProvider]] = [
        NetworkProviders.all,
        IdentityProviders.all,
        ClusterProviders.all,
    ]
}

/// EC2: VPC, subnets, gateways, routes, security groups, launch templates.
enum NetworkProviders {
    static let all: [any ResourceProvider] = [
        VPCProvider(),
        SubnetProvider(),
        InternetGatewayProvider(),
        EIPProvider(),
        NATGatewayProvider(),
        RouteTableProvider(),
        RouteProvider(),
        RouteTableAssociationProvider(),
        SecurityGroupProvider(),
        SecurityGroupRuleProvider(),
        VPCSecurityGroupRuleProvider.ingress,
        VPCSecurityGroupRuleProvider.egress,
        LaunchTemplateProvider(),
    ]
}

/// IAM, KMS, CloudWatch Logs, SQS, EventBridge.
enum IdentityProviders {
    static let all: [any ResourceProvider] = [
        IAMRoleProvider(),
        IAMPolicyProvider(),
        IAMRolePolicyAttachmentProvider(),
        IAMRolePolicyProvider(),
        IAMInstanceProfileProvider(),
        IAMOpenIDConnectProviderProvider(),
        KMSKeyProvider(),
        KMSAliasProvider(),
        CloudWatchLogGroupProvider(),
        SQSQueueProvider(),
        SQSQueuePolicyProvider(),
        CloudWatchEventRuleProvider(),
        CloudWatchEventTargetProvider(),
    ]
}

/// EKS and what runs inside the cluster (kubernetes_manifest).
enum ClusterProviders {
    static let all: [any ResourceProvider] = [
        EKSClusterProvider(),
        EKSNodeGroupProvider(),
        EKSAddonProvider(),
        EKSAccessEntryProvider(),
        EKSAccessPolicyAssociationProvider(),
        EKSPodIdentityAssociationProvider(),
        KubernetesManifestProvider(),
    ]
}
