import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// Reads what the stack owns in the account: one `discover` per resource type that has a
/// provider, in parallel (bounded), all sharing one ``DiscoveryCache`` so sibling types that come
/// back in the same description cost one read. Plus the read-only facts the plan depends on.
public struct Discovery: Sendable {
    public var context: ProviderContext
    public var providers: [String: any ResourceProvider]
    /// How many types are read at once.
    public var parallelism: Int

    public init(context: ProviderContext, providers: [String: any ResourceProvider] = ProviderRegistry.all, parallelism: Int = 8) {
        self.context = context
        self.providers = providers
        self.parallelism = max(1, parallelism)
    }

    /// Every live resource the stack owns, of every type with a provider, sorted by type then id.
    /// A failed read fails discovery: a plan that silently missed a type would plan creates for
    /// what exists, or miss deletions.
    public func discoverAll() async throws -> [LiveResource] {
        let types = providers.keys.sorted()
        let context = self.context
        let providers = self.providers
        var found: [String: [LiveResource]] = [:]
        try await withThrowingTaskGroup(of: (String, [LiveResource]).self) { group in
            var next = 0
            func launch() {
                guard next < types.count, let provider = providers[types[next]] else { return }
                let type = types[next]
                next += 1
                group.addTask {
                    do {
                        return (type, try await provider.discover(context))
                    } catch {
                        throw PlanError.discoveryFailed(type: type, underlying: "\(error)")
                    }
                }
            }
            for _ in 0..<min(parallelism, types.count) { launch() }
            while let (type, resources) = try await group.next() {
                found[type] = resources
                launch()
            }
        }
        return types.flatMap { type in
            (found[type] ?? []).sorted { ($0.address?.canonical ?? "", $0.id) < ($1.address?.canonical ?? "", $1.id) }
        }
    }

    /// The read-only facts a plan uses, each fetched once: who is calling (STS
    /// GetCallerIdentity), the region's available zones (EC2 DescribeAvailabilityZones) and the
    /// recommended EKS AMI release for each Kubernetes version in `kubernetesVersions` (SSM).
    public func dataSources(kubernetesVersions: Set<String>) async throws -> PlanDataSources {
        let client = context.client
        async let identity = Self.caller(client)
        async let zones = client.query(
            .ec2, action: "DescribeAvailabilityZones",
            parameters: [("Filter.1.Name", "state"), ("Filter.1.Value.1", "available")])
        var releases: [String: String] = [:]
        for version in kubernetesVersions.sorted() {
            let name = Self.amiReleaseParameter(version: version)
            do {
                let answer = try await client.json(.ssm, action: "GetParameter", body: ["Name": .string(name)])
                if let value = answer["Parameter"]?["Value"]?.stringValue { releases[version] = value }
            } catch let error as AWSError where error.isNotFound || error.code == "ParameterNotFound" {
                throw PlanError.unsupportedKubernetesVersion(version, parameter: name)
            }
        }
        let caller = try await identity
        let zoneNames =
            try await zones.first(named: "availabilityZoneInfo")?.items.compactMap {
                $0.child("zoneName")?.text
            } ?? []
        return PlanDataSources(
            accountID: caller.account, callerArn: caller.arn, availabilityZones: zoneNames.sorted(), eksAMIReleaseVersions: releases)
    }

    /// Who is calling: STS GetCallerIdentity's account and ARN.
    public static func caller(_ client: AWSClient) async throws -> (account: String?, arn: String?) {
        let result = try await client.query(.sts, action: "GetCallerIdentity").first(named: "GetCallerIdentityResult")
        return (result?.child("Account")?.text, result?.child("Arn")?.text)
    }

    /// The SSM parameter EKS publishes the recommended AL2023 AMI release under.
    public static func amiReleaseParameter(version: String) -> String {
        "/aws/service/eks/optimized-ami/\(version)/amazon-linux-2023/x86_64/standard/recommended/release_version"
    }
}

/// Why a plan could not be made. Each names what the user must look at.
public enum PlanError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The stack uses a type no provider serves.
    case missingProvider(type: String, addresses: [String])
    case discoveryFailed(type: String, underlying: String)
    /// Compiling again with live values failed (a live value broke a rule).
    case compileWithLiveValues([String])
    case unsupportedKubernetesVersion(String, parameter: String)
    case unavailableZone(zone: String, address: String, available: [String])
    /// A cluster version change that breaks the version-skew rules.
    case rollout(String)
    /// A saved plan whose live state changed since it was made.
    case liveStateChanged([String])
    case planFile(String)

    public var description: String {
        switch self {
        case .missingProvider(let type, let addresses):
            "no provider for resource type `\(type)` (used by \(addresses.prefix(3).joined(separator: ", "))\(addresses.count > 3 ? ", …" : "")): strata cannot read or change it"
        case .discoveryFailed(let type, let underlying):
            "reading the live `\(type)` resources failed: \(underlying)"
        case .compileWithLiveValues(let messages):
            "the stack does not compile against its live values:\n  " + messages.joined(separator: "\n  ")
        case .unsupportedKubernetesVersion(let version, let parameter):
            "Kubernetes \(version) has no EKS-optimized AMI in this region (SSM parameter \(parameter) not found)"
        case .unavailableZone(let zone, let address, let available):
            "\(address) uses availability zone \(zone), which is not available in this account (available: \(available.joined(separator: ", ")))"
        case .rollout(let message):
            message
        case .liveStateChanged(let what):
            "the live state changed since the plan was made; plan again. Changed: " + what.joined(separator: "; ")
        case .planFile(let message):
            message
        }
    }
}
