import Foundation

/// EC2's own request throttling, modelled on the client: AWS keeps one token bucket per API
/// action and account and region, sized by the action's category, and some actions have sizes
/// of their own. Source: "Request throttling for the Amazon EC2 API", EC2 developer guide,
/// https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html (the tables "Request
/// token bucket sizes and refill rates"; the numbers below are its defaults when this was
/// written). An account may have had them raised: see `STRATA_CLIENT_RATE_LIMITS` in the
/// AWSClient README.
///
/// Not modelled: the console's own non-mutating bucket (strata is not the console) and the
/// resource token buckets (instances per `RunInstances`, `TerminateInstances`, `StartInstances`,
/// `StopInstances`), which count instances, not calls; strata launches no instances itself.
public struct EC2RequestBuckets: Sendable, Equatable {
    /// The categories the page groups actions into.
    public enum Category: String, Sendable, Equatable {
        /// `Describe*`, `List*`, `Search*`, `Get*`.
        case nonMutating = "non-mutating"
        /// A few describes called with neither a filter nor pagination draw from a smaller bucket.
        case unfilteredNonMutating = "unfiltered-non-mutating"
        /// Everything that creates, modifies or deletes and is not in another category.
        case mutating
        /// The slowest mutations, throttled apart from the others.
        case resourceIntensive = "resource-intensive"
        /// Actions with sizes of their own (``EC2RequestBuckets/perAction``).
        case uncategorized
    }

    public var nonMutating: RateLimit
    public var unfilteredNonMutating: RateLimit
    public var mutating: RateLimit
    public var resourceIntensive: RateLimit
    /// The "uncategorized actions" table: sizes of their own, whatever their category.
    public var perAction: [String: RateLimit]

    public init(
        nonMutating: RateLimit = RateLimit(ratePerSecond: 20, burst: 100),
        unfilteredNonMutating: RateLimit = RateLimit(ratePerSecond: 10, burst: 50),
        mutating: RateLimit = RateLimit(ratePerSecond: 5, burst: 50),
        resourceIntensive: RateLimit = RateLimit(ratePerSecond: 5, burst: 50),
        perAction: [String: RateLimit] = EC2RequestBuckets.uncategorized
    ) {
        self.nonMutating = nonMutating
        self.unfilteredNonMutating = unfilteredNonMutating
        self.mutating = mutating
        self.resourceIntensive = resourceIntensive
        self.perAction = perAction
    }

    /// AWS's defaults.
    public static let documented = EC2RequestBuckets()

    /// The describes that use the smaller bucket when called without a filter or pagination.
    public static let unfilteredActions: Set<String> = [
        "DescribeInstances", "DescribeInstanceStatus", "DescribeNetworkInterfaces", "DescribeSecurityGroups",
        "DescribeSnapshots", "DescribeSpotInstanceRequests", "DescribeVolumes",
    ]

    /// The resource-intensive mutations.
    public static let resourceIntensiveActions: Set<String> = [
        "AcceptVpcPeeringConnection", "AuthorizeSecurityGroupIngress", "CancelSpotInstanceRequests", "CreateKeyPair",
        "CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection",
        "RevokeSecurityGroupIngress", "RequestSpotInstances",
    ]

    /// Whether an EC2 action reads: the page's non-mutating prefixes.
    public static func isNonMutating(_ action: String) -> Bool {
        ["Describe", "List", "Search", "Get"].contains { action.hasPrefix($0) }
    }

    /// The category of a call. `filteredOrPaginated` says whether it carries a `Filter.N`,
    /// `MaxResults` or `NextToken` parameter.
    public func category(of action: String, filteredOrPaginated: Bool) -> Category {
        if perAction[action] != nil { return .uncategorized }
        if Self.isNonMutating(action) {
            return Self.unfilteredActions.contains(action) && !filteredOrPaginated
                ? .unfilteredNonMutating : .nonMutating
        }
        return Self.resourceIntensiveActions.contains(action) ? .resourceIntensive : .mutating
    }

    /// The bucket a call draws from: its name and size. AWS counts each action on its own, so
    /// the name is the action's (with ` (unfiltered)` for the smaller bucket of the seven
    /// describes): 160 `CreateSubnet` calls do not slow `CreateSecurityGroup` down.
    public func bucket(for action: String, filteredOrPaginated: Bool) -> (name: String, limit: RateLimit) {
        switch category(of: action, filteredOrPaginated: filteredOrPaginated) {
        case .uncategorized: return (action, perAction[action] ?? mutating)
        case .nonMutating: return (action, nonMutating)
        case .unfilteredNonMutating: return ("\(action) (unfiltered)", unfilteredNonMutating)
        case .mutating: return (action, mutating)
        case .resourceIntensive: return (action, resourceIntensive)
        }
    }

    /// The "uncategorized actions" table of the page: bucket maximum capacity (`burst`) and
    /// refill rate per second.
    public static let uncategorized: [String: RateLimit] = [
        "AcceptVpcEndpointConnections": RateLimit(ratePerSecond: 1, burst: 10),
        "AdvertiseByoipCidr": RateLimit(ratePerSecond: 0.1, burst: 1),
        "AssignIpv6Addresses": RateLimit(ratePerSecond: 5, burst: 100),
        "AssignPrivateIpAddresses": RateLimit(ratePerSecond: 5, burst: 100),
        "AssignPrivateNatGatewayAddress": RateLimit(ratePerSecond: 1, burst: 10),
        "AssociateCapacityReservationBillingOwner": RateLimit(ratePerSecond: 0.5, burst: 1),
        "AssociateEnclaveCertificateIamRole": RateLimit(ratePerSecond: 1, burst: 10),
        "AssociateIamInstanceProfile": RateLimit(ratePerSecond: 5, burst: 100),
        "AssociateNatGatewayAddress": RateLimit(ratePerSecond: 1, burst: 10),
        "AttachVerifiedAccessTrustProvider": RateLimit(ratePerSecond: 2, burst: 10),
        "AuthorizeClientVpnIngress": RateLimit(ratePerSecond: 2, burst: 5),
        "CancelDeclarativePoliciesReport": RateLimit(ratePerSecond: 1, burst: 1),
        "CopyImage": RateLimit(ratePerSecond: 1, burst: 100),
        "CreateClientVpnRoute": RateLimit(ratePerSecond: 2, burst: 5),
        "CreateCoipCidr": RateLimit(ratePerSecond: 1, burst: 5),
        "CreateCoipPool": RateLimit(ratePerSecond: 1, burst: 5),
        "CreateDefaultSubnet": RateLimit(ratePerSecond: 1, burst: 1),
        "CreateDefaultVpc": RateLimit(ratePerSecond: 1, burst: 1),
        "CreateLaunchTemplateVersion": RateLimit(ratePerSecond: 5, burst: 100),
        "CreateNatGateway": RateLimit(ratePerSecond: 1, burst: 10),
        "CreateNetworkInterface": RateLimit(ratePerSecond: 5, burst: 100),
        "CreateRestoreImageTask": RateLimit(ratePerSecond: 0.1, burst: 50),
        "CreateSnapshot": RateLimit(ratePerSecond: 5, burst: 100),
        "CreateSnapshots": RateLimit(ratePerSecond: 5, burst: 100),
        "CreateSpotDatafeedSubscription": RateLimit(ratePerSecond: 3, burst: 50),
        "CreateStoreImageTask": RateLimit(ratePerSecond: 0.1, burst: 50),
        "CreateSubnetCidrReservation": RateLimit(ratePerSecond: 1, burst: 5),
        "CreateTags": RateLimit(ratePerSecond: 10, burst: 100),
        "CreateVerifiedAccessEndpoint": RateLimit(ratePerSecond: 4, burst: 20),
        "CreateVerifiedAccessGroup": RateLimit(ratePerSecond: 2, burst: 10),
        "CreateVerifiedAccessInstance": RateLimit(ratePerSecond: 2, burst: 10),
        "CreateVerifiedAccessTrustProvider": RateLimit(ratePerSecond: 2, burst: 10),
        "CreateVolume": RateLimit(ratePerSecond: 5, burst: 100),
        "CreateVpcEndpoint": RateLimit(ratePerSecond: 0.3, burst: 4),
        "CreateVpcEndpointServiceConfiguration": RateLimit(ratePerSecond: 1, burst: 10),
        "DeleteClientVpnRoute": RateLimit(ratePerSecond: 2, burst: 5),
        "DeleteCoipCidr": RateLimit(ratePerSecond: 1, burst: 5),
        "DeleteCoipPool": RateLimit(ratePerSecond: 1, burst: 5),
        "DeleteCoipPoolPermission": RateLimit(ratePerSecond: 1, burst: 5),
        "DeleteNatGateway": RateLimit(ratePerSecond: 1, burst: 10),
        "DeleteNetworkInterface": RateLimit(ratePerSecond: 5, burst: 100),
        "DeleteSnapshot": RateLimit(ratePerSecond: 5, burst: 100),
        "DeleteSpotDatafeedSubscription": RateLimit(ratePerSecond: 3, burst: 50),
        "DeleteSubnetCidrReservation": RateLimit(ratePerSecond: 1, burst: 5),
        "DeleteQueuedReservedInstances": RateLimit(ratePerSecond: 5, burst: 5),
        "DeleteTags": RateLimit(ratePerSecond: 10, burst: 100),
        "DeleteVerifiedAccessEndpoint": RateLimit(ratePerSecond: 4, burst: 20),
        "DeleteVerifiedAccessGroup": RateLimit(ratePerSecond: 2, burst: 10),
        "DeleteVerifiedAccessInstance": RateLimit(ratePerSecond: 2, burst: 10),
        "DeleteVerifiedAccessTrustProvider": RateLimit(ratePerSecond: 2, burst: 10),
        "DeleteVolume": RateLimit(ratePerSecond: 5, burst: 100),
        "DeleteVpcEndpoints": RateLimit(ratePerSecond: 0.3, burst: 4),
        "DeleteVpcEndpointServiceConfigurations": RateLimit(ratePerSecond: 1, burst: 10),
        "DeprovisionByoipCidr": RateLimit(ratePerSecond: 0.1, burst: 1),
        "DeregisterImage": RateLimit(ratePerSecond: 5, burst: 100),
        "DescribeAggregateIdFormat": RateLimit(ratePerSecond: 10, burst: 10),
        "DescribeByoipCidrs": RateLimit(ratePerSecond: 0.5, burst: 1),
        "DescribeCapacityBlockExtensionOfferings": RateLimit(ratePerSecond: 0.15, burst: 10),
        "DescribeCapacityBlockOfferings": RateLimit(ratePerSecond: 0.15, burst: 10),
        "DescribeDeclarativePoliciesReports": RateLimit(ratePerSecond: 5, burst: 5),
        "DescribeHostReservations": RateLimit(ratePerSecond: 2, burst: 5),
        "DescribeHostReservationOfferings": RateLimit(ratePerSecond: 2, burst: 5),
        "DescribeIdentityIdFormat": RateLimit(ratePerSecond: 10, burst: 10),
        "DescribeIdFormat": RateLimit(ratePerSecond: 10, burst: 10),
        "DescribeInstanceTopology": RateLimit(ratePerSecond: 1, burst: 1),
        "DescribeMovingAddresses": RateLimit(ratePerSecond: 1, burst: 1),
        "DescribePrincipalIdFormat": RateLimit(ratePerSecond: 10, burst: 10),
        "DescribeReservedInstancesOfferings": RateLimit(ratePerSecond: 10, burst: 10),
        "DescribeSecurityGroupReferences": RateLimit(ratePerSecond: 5, burst: 20),
        "DescribeSpotDatafeedSubscription": RateLimit(ratePerSecond: 13, burst: 100),
        "DescribeSpotFleetInstances": RateLimit(ratePerSecond: 5, burst: 100),
        "DescribeSpotFleetRequestHistory": RateLimit(ratePerSecond: 5, burst: 100),
        "DescribeSpotFleetRequests": RateLimit(ratePerSecond: 3, burst: 50),
        "DescribeStaleSecurityGroups": RateLimit(ratePerSecond: 5, burst: 20),
        "DescribeStoreImageTasks": RateLimit(ratePerSecond: 0.5, burst: 50),
        "DescribeVerifiedAccessInstanceLoggingConfigurations": RateLimit(ratePerSecond: 2, burst: 10),
        "DetachVerifiedAccessTrustProvider": RateLimit(ratePerSecond: 2, burst: 10),
        "DisableFastLaunch": RateLimit(ratePerSecond: 2, burst: 5),
        "DisableImageBlockPublicAccess": RateLimit(ratePerSecond: 0.1, burst: 1),
        "DisableSnapshotBlockPublicAccess": RateLimit(ratePerSecond: 0.1, burst: 1),
        "DisassociateCapacityReservationBillingOwner": RateLimit(ratePerSecond: 0.5, burst: 1),
        "DisassociateEnclaveCertificateIamRole": RateLimit(ratePerSecond: 1, burst: 10),
        "DisassociateIamInstanceProfile": RateLimit(ratePerSecond: 5, burst: 100),
        "DisassociateNatGatewayAddress": RateLimit(ratePerSecond: 1, burst: 10),
        "EnableFastLaunch": RateLimit(ratePerSecond: 2, burst: 5),
        "EnableImageBlockPublicAccess": RateLimit(ratePerSecond: 0.1, burst: 1),
        "EnableSnapshotBlockPublicAccess": RateLimit(ratePerSecond: 0.1, burst: 1),
        "GetAssociatedEnclaveCertificateIamRoles": RateLimit(ratePerSecond: 1, burst: 10),
        "GetDeclarativePoliciesReportSummary": RateLimit(ratePerSecond: 5, burst: 5),
        "GetHostReservationPurchasePreview": RateLimit(ratePerSecond: 2, burst: 5),
        "ModifyImageAttribute": RateLimit(ratePerSecond: 5, burst: 100),
        "ModifyInstanceMetadataDefaults": RateLimit(ratePerSecond: 2, burst: 2),
        "ModifyInstanceMetadataOptions": RateLimit(ratePerSecond: 5, burst: 100),
        "ModifyLaunchTemplate": RateLimit(ratePerSecond: 5, burst: 100),
        "ModifyNetworkInterfaceAttribute": RateLimit(ratePerSecond: 5, burst: 100),
        "ModifySnapshotAttribute": RateLimit(ratePerSecond: 5, burst: 100),
        "ModifyVerifiedAccessEndpoint": RateLimit(ratePerSecond: 4, burst: 20),
        "ModifyVerifiedAccessEndpointPolicy": RateLimit(ratePerSecond: 4, burst: 20),
        "ModifyVerifiedAccessGroup": RateLimit(ratePerSecond: 2, burst: 10),
        "ModifyVerifiedAccessGroupPolicy": RateLimit(ratePerSecond: 4, burst: 20),
        "ModifyVerifiedAccessInstance": RateLimit(ratePerSecond: 2, burst: 10),
        "ModifyVerifiedAccessInstanceLoggingConfiguration": RateLimit(ratePerSecond: 2, burst: 10),
        "ModifyVerifiedAccessTrustProvider": RateLimit(ratePerSecond: 2, burst: 10),
        "ModifyVpcEndpoint": RateLimit(ratePerSecond: 0.3, burst: 4),
        "ModifyVpcEndpointServiceConfiguration": RateLimit(ratePerSecond: 1, burst: 10),
        "MoveAddressToVpc": RateLimit(ratePerSecond: 1, burst: 1),
        "ProvisionByoipCidr": RateLimit(ratePerSecond: 0.1, burst: 1),
        "PurchaseCapacityBlock": RateLimit(ratePerSecond: 0.15, burst: 10),
        "PurchaseCapacityBlockExtension": RateLimit(ratePerSecond: 0.15, burst: 10),
        "PurchaseHostReservation": RateLimit(ratePerSecond: 2, burst: 5),
        "PurchaseReservedInstancesOffering": RateLimit(ratePerSecond: 5, burst: 5),
        "RejectVpcEndpointConnections": RateLimit(ratePerSecond: 1, burst: 10),
        "RestoreAddressToClassic": RateLimit(ratePerSecond: 1, burst: 1),
        "RevokeClientVpnIngress": RateLimit(ratePerSecond: 2, burst: 5),
        "RunInstances": RateLimit(ratePerSecond: 2, burst: 5),
        "StartDeclarativePoliciesReport": RateLimit(ratePerSecond: 1, burst: 1),
        "StartInstances": RateLimit(ratePerSecond: 2, burst: 5),
        "TerminateInstances": RateLimit(ratePerSecond: 5, burst: 100),
        "UnassignPrivateIpAddresses": RateLimit(ratePerSecond: 5, burst: 100),
        "UnassignPrivateNatGatewayAddress": RateLimit(ratePerSecond: 1, burst: 10),
        "WithdrawByoipCidr": RateLimit(ratePerSecond: 0.1, burst: 1),
    ]
}

extension AWSOperation {
    /// Whether a query-protocol call carries a filter (`Filter.N...`) or asks for pages
    /// (`MaxResults`, `NextToken`): which of EC2's describe buckets it uses.
    var isFilteredOrPaginated: Bool {
        let form = String(decoding: body, as: UTF8.self)
        return form.split(separator: "&").contains { pair in
            let name = pair.prefix { $0 != "=" }
            return name.hasPrefix("Filter.") || name == "MaxResults" || name == "NextToken"
        }
    }
}
