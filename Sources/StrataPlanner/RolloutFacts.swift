import AWSClient
import StrataModel

/// What planning a rollout reads from AWS beyond discovery, each fetched once per plan: the
/// add-on versions EKS publishes for every minor a rollout passes (one `DescribeAddonVersions`
/// per minor, for all add-ons at once) and the free addresses of the subnets green groups go
/// into (one `DescribeSubnets`). Read-only.
public struct RolloutFacts: Sendable, Equatable {
    /// Per Kubernetes minor, per add-on name.
    public var addons: [String: [String: AddonVersions]]
    /// Free IPv4 addresses per subnet id (`AvailableIpAddressCount`).
    public var freeAddresses: [String: Int]

    public init(addons: [String: [String: AddonVersions]] = [:], freeAddresses: [String: Int] = [:]) {
        self.addons = addons
        self.freeAddresses = freeAddresses
    }

    /// The versions of one add-on EKS publishes for one minor.
    public struct AddonVersions: Sendable, Equatable {
        public var compatible: Set<String>
        /// EKS's default for the minor (what it installs when no version is asked).
        public var defaultVersion: String?

        public init(compatible: Set<String>, defaultVersion: String?) {
            self.compatible = compatible
            self.defaultVersion = defaultVersion
        }

        /// Whether add-on version `first` is older than `second`: `v1.16.4-eksbuild.2` before
        /// `v1.19.4-eksbuild.1`, numbers compared as numbers, the build last.
        public static func precedes(_ first: String, _ second: String) -> Bool {
            func numbers(_ text: String) -> [Int] { text.split { !$0.isNumber }.compactMap { Int($0) } }
            return numbers(first).lexicographicallyPrecedes(numbers(second))
        }
    }

    /// Reads the add-on versions of `minors` and the free addresses of `subnets`.
    static func read(_ client: AWSClient, minors: Set<String>, subnets: Set<String>) async throws -> RolloutFacts {
        var facts = RolloutFacts()
        for minor in minors.sorted() { facts.addons[minor] = try await addonVersions(client, minor: minor) }
        if !subnets.isEmpty { facts.freeAddresses = try await freeAddresses(client, subnets: subnets.sorted()) }
        return facts
    }

    /// `GET /addons/supported-versions?kubernetesVersion=<minor>`, every page.
    static func addonVersions(_ client: AWSClient, minor: String) async throws -> [String: AddonVersions] {
        var out: [String: AddonVersions] = [:]
        var token: String?
        repeat {
            var query: [(name: String, value: String)] = [("kubernetesVersion", minor)]
            if let token { query.append(("nextToken", token)) }
            let page = try await client.rest(
                .eks, action: "DescribeAddonVersions", method: "GET", path: "/addons/supported-versions", query: query)
            for addon in page["addons"]?.arrayValue ?? [] {
                guard let name = addon["addonName"]?.stringValue else { continue }
                var compatible = Set<String>()
                var fallback: String?
                for version in addon["addonVersions"]?.arrayValue ?? [] {
                    guard let text = version["addonVersion"]?.stringValue else { continue }
                    compatible.insert(text)
                    let isDefault = (version["compatibilities"]?.arrayValue ?? []).contains {
                        $0["clusterVersion"]?.stringValue == minor && $0["defaultVersion"] == .bool(true)
                    }
                    if isDefault { fallback = text }
                }
                out[name] = AddonVersions(compatible: compatible, defaultVersion: fallback)
            }
            token = page["nextToken"]?.stringValue
        } while token != nil
        return out
    }

    /// `DescribeSubnets` of `subnets`: free IPv4 addresses of each.
    static func freeAddresses(_ client: AWSClient, subnets: [String]) async throws -> [String: Int] {
        var parameters: [(name: String, value: String)] = []
        for (index, subnet) in subnets.enumerated() { parameters.append(("SubnetId.\(index + 1)", subnet)) }
        let answer = try await client.query(.ec2, action: "DescribeSubnets", parameters: parameters)
        var out: [String: Int] = [:]
        for item in answer.first(named: "subnetSet")?.items ?? [] {
            if let id = item.child("subnetId")?.text, let free = item.child("availableIpAddressCount").flatMap({ Int($0.text) }) {
                out[id] = free
            }
        }
        return out
    }
}
