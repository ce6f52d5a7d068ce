import AWSClient

/// The EKS call the destroy's controller sweep makes: whether a cluster a controller's tag names
/// still exists (its leftovers are swept only once it does not).
extension EKS {
    public init(client: AWSClient) { self.init(client) }

    /// Whether EKS has a cluster of this name (`DescribeCluster`).
    public func clusterExists(_ name: String) async throws -> Bool {
        try await describeCluster(name) != nil
    }
}
