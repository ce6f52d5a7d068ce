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
///
/// What their discovery costs per plan (N = resources of the kind, P = paginated):
/// * IAM: one GetAccountAuthorizationDetails (P, Role + LocalManagedPolicy) serves roles, inline
///   policies, attachments and policy documents; ListRoles under `/strata/<stack>/` adds the
///   description and session duration; ListInstanceProfiles under the path; one ListPolicyTags
///   per policy of the stack (no IAM listing returns policy tags); ListOpenIDConnectProviders +
///   one GetOpenIDConnectProvider per provider in the account (they have no path).
/// * KMS: ListAliases + ListKeys (P) + one ListResourceTags per customer key of the region
///   (keys behind `alias/aws/*` skipped) + DescribeKey, GetKeyPolicy, GetKeyRotationStatus per
///   key of the stack. No tag-filtered listing exists outside the Resource Groups Tagging API.
/// * Logs: DescribeLogGroups (P) + one ListTagsForResource per group of the region.
/// * SQS: ListQueues (P) + one ListQueueTags per queue of the region + GetQueueAttributes per
///   queue of the stack (queue policies come with it).
/// * EventBridge: ListEventBuses + ListRules per bus (P) + one ListTagsForResource per rule +
///   ListTargetsByRule per rule of the stack (targets come with it).
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
