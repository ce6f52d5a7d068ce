/// Every resource type strata knows, by its provider: the one list a new type is added to.
/// The catalog of schemas (``ResourceCatalog``) is read from it, so a type cannot have a schema
/// without a provider or the other way round.
public enum ProviderRegistry {
    public static let all: [String: any ResourceProvider] = Dictionary(uniqueKeysWithValues: providers.map { ($0.type, $0) })

    public static func provider(for type: String) -> (any ResourceProvider)? { all[type] }

    /// In the order of the platform's layers; each type's folder under `Types/` holds the rest.
    static let providers: [any ResourceProvider] = [
        // network (EC2)
        VPCProvider(), SubnetProvider(), InternetGatewayProvider(), EIPProvider(), NATGatewayProvider(),
        RouteTableProvider(), RouteProvider(), RouteTableAssociationProvider(),
        // firewalls (EC2)
        SecurityGroupProvider(), SecurityGroupRuleProvider(), VPCSecurityGroupRuleProvider.ingress, VPCSecurityGroupRuleProvider.egress,
        // identity and keys (IAM, KMS)
        IAMRoleProvider(), IAMPolicyProvider(), IAMRolePolicyAttachmentProvider(), IAMRolePolicyProvider(),
        IAMInstanceProfileProvider(), IAMOpenIDConnectProviderProvider(), KMSKeyProvider(), KMSAliasProvider(),
        // observability and queues (Logs, EventBridge, SQS)
        CloudWatchLogGroupProvider(), CloudWatchEventRuleProvider(), CloudWatchEventTargetProvider(),
        SQSQueueProvider(), SQSQueuePolicyProvider(),
        // EKS, and what runs inside the cluster
        EKSClusterProvider(), EKSNodeGroupProvider(), EKSAddonProvider(), EKSAccessEntryProvider(),
        EKSAccessPolicyAssociationProvider(), EKSPodIdentityAssociationProvider(), LaunchTemplateProvider(),
        KubernetesManifestProvider(),
    ]
}
