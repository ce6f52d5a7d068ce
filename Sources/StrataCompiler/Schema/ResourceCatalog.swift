import StrataModel

/// Every resource type strata knows, by type name. The checker, the planner and the providers all
/// read schemas from here; nothing else declares attributes.
public enum ResourceCatalog {
    public static let all: [String: ResourceSchema] = Dictionary(
        uniqueKeysWithValues: schemas.map { ($0.type, $0) })

    public static func schema(for type: String) -> ResourceSchema? { all[type] }

    /// Filled in type by type, one file per type under `Schema/Types/`.
    static let schemas: [ResourceSchema] = [
        // network
        .awsVPC, .awsSubnet, .awsInternetGateway, .awsEIP, .awsNATGateway,
        .awsRouteTable, .awsRoute, .awsRouteTableAssociation,
        // security: firewalls
        .awsSecurityGroup, .awsSecurityGroupRule,
        .awsVPCSecurityGroupIngressRule, .awsVPCSecurityGroupEgressRule,
        // security: identity and keys
        .awsIAMRole, .awsIAMPolicy, .awsIAMRolePolicyAttachment, .awsIAMRolePolicy,
        .awsIAMInstanceProfile, .awsIAMOpenIDConnectProvider, .awsKMSKey, .awsKMSAlias,
        // observability
        .awsCloudWatchLogGroup, .awsCloudWatchEventRule, .awsCloudWatchEventTarget,
        // EKS
        .awsEKSCluster, .awsEKSNodeGroup, .awsEKSAddon, .awsEKSAccessEntry,
        .awsEKSAccessPolicyAssociation, .awsEKSPodIdentityAssociation, .awsLaunchTemplate,
        // queues
        .awsSQSQueue, .awsSQSQueuePolicy,
        // inside the cluster
        .kubernetesManifest,
    ]
}
