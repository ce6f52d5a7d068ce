import AWSClient

/// The EC2 calls the executor makes outside any resource type: the destroy's controller sweep
/// and the search for what blocks a refused network delete. They read by filter across owners
/// (a controller's instance, a user's interface), which is why they are not the providers'
/// owned-resource describes.
extension EC2 {
    public init(client: AWSClient) {
        self.client = client
        stack = ""
        cache = DiscoveryCache()
    }

    /// The `<item>`s of `set` (`reservationSet`, `networkInterfaceSet`) in every page of a
    /// describe filtered by `filters` (name, values).
    public func items(_ action: String, set: String, filters: [(String, [String])]) async throws -> [XMLNode] {
        try await describe(action, set: set, QueryValue.filters(filters.map { (name: $0.0, values: $0.1) }))
    }

    /// `TerminateInstances`; terminating one already gone succeeds.
    public func terminateInstances(_ ids: [String]) async throws {
        try await call("TerminateInstances", ids.enumerated().map { (name: "InstanceId.\($0.offset + 1)", value: $0.element) })
    }

    /// Deletes of what a controller left; one already gone counts as deleted.
    public func deleteLaunchTemplate(_ id: String) async throws {
        try await callIgnoringNotFound("DeleteLaunchTemplate", [(name: "LaunchTemplateId", value: id)])
    }

    public func deleteNetworkInterface(_ id: String) async throws {
        try await callIgnoringNotFound("DeleteNetworkInterface", [(name: "NetworkInterfaceId", value: id)])
    }

    public func deleteSecurityGroup(_ id: String) async throws {
        try await callIgnoringNotFound("DeleteSecurityGroup", [(name: "GroupId", value: id)])
    }
}
