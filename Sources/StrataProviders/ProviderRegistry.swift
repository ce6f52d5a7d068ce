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
/// * KMS, Logs, SQS, EventBridge (and EKS clusters) have no tag-filtered listing: one
///   Resource Groups Tagging API GetResources (P), shared, names the stack's keys, log groups,
///   queues and rules with their tags, so nothing is read of the region's other resources.
/// * KMS: the index + ListAliases (P) + DescribeKey, GetKeyPolicy, GetKeyRotationStatus per key
///   of the stack.
/// * Logs: the index + DescribeLogGroups (P).
/// * SQS: the index + ListQueues (P) + GetQueueAttributes per queue of the stack (queue
///   policies come with it).
/// * EventBridge: the index + ListRules (P) per bus holding a rule of the stack +
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
