import AWSClient
import StrataModel

/// `aws_launch_template`: CreateLaunchTemplate with its tags and a client token; any change to
/// what instances launch with publishes a new version (CreateLaunchTemplateVersion) and, with
/// `update_default_version`, makes it the default (ModifyLaunchTemplate). Live attributes are
/// the latest version's data.
struct LaunchTemplateProvider: ResourceProvider {
    let schema = ResourceSchema.awsLaunchTemplate
    let deletion = DeletionRule(rank: 4, waitsFor: [:])
    let normalisation = NormalisationRules(sets: ["vpc_security_group_ids", "security_groups"], writeOnly: ["update_default_version"])

    /// One field of the template data: catalog name, request name, response element, shape.
    indirect enum Field: Sendable {
        case string(String, String, String)
        case int(String, String, String)
        case bool(String, String, String)
        /// A list of strings; the request repeats `wire.N`, the response lists items.
        case strings(String, String, String)
        /// A nested block.
        case block(String, String, String, [Field])
        /// A list of nested blocks; the request repeats `wire.N.*`.
        case blocks(String, String, String, [Field])
        /// A tag map: `Tag.N.Key/Value` in, `tagSet` items out.
        case tags(String)

        var attribute: String {
            switch self {
            case .string(let a, _, _), .int(let a, _, _), .bool(let a, _, _), .strings(let a, _, _), .block(let a, _, _, _),
                .blocks(let a, _, _, _), .tags(let a):
                a
            }
        }
    }

    static let data: [Field] = [
        .string("image_id", "ImageId", "imageId"),
        .string("instance_type", "InstanceType", "instanceType"),
        .string("key_name", "KeyName", "keyName"),
        .string("user_data", "UserData", "userData"),
        .bool("ebs_optimized", "EbsOptimized", "ebsOptimized"),
        .bool("disable_api_termination", "DisableApiTermination", "disableApiTermination"),
        .bool("disable_api_stop", "DisableApiStop", "disableApiStop"),
        .string("instance_initiated_shutdown_behavior", "InstanceInitiatedShutdownBehavior", "instanceInitiatedShutdownBehavior"),
        .strings("vpc_security_group_ids", "SecurityGroupId", "securityGroupIdSet"),
        .blocks(
            "block_device_mappings", "BlockDeviceMapping", "blockDeviceMappingSet",
            [
                .string("device_name", "DeviceName", "deviceName"),
                .string("no_device", "NoDevice", "noDevice"),
                .string("virtual_name", "VirtualName", "virtualName"),
                .block(
                    "ebs", "Ebs", "ebs",
                    [
                        .int("volume_size", "VolumeSize", "volumeSize"),
                        .string("volume_type", "VolumeType", "volumeType"),
                        .int("iops", "Iops", "iops"),
                        .int("throughput", "Throughput", "throughput"),
                        .bool("encrypted", "Encrypted", "encrypted"),
                        .string("kms_key_id", "KmsKeyId", "kmsKeyId"),
                        .bool("delete_on_termination", "DeleteOnTermination", "deleteOnTermination"),
                        .string("snapshot_id", "SnapshotId", "snapshotId"),
                    ]),
            ]),
        .block(
            "metadata_options", "MetadataOptions", "metadataOptions",
            [
                .string("http_endpoint", "HttpEndpoint", "httpEndpoint"),
                .string("http_tokens", "HttpTokens", "httpTokens"),
                .int("http_put_response_hop_limit", "HttpPutResponseHopLimit", "httpPutResponseHopLimit"),
                .string("http_protocol_ipv6", "HttpProtocolIpv6", "httpProtocolIpv6"),
                .string("instance_metadata_tags", "InstanceMetadataTags", "instanceMetadataTags"),
            ]),
        .block("monitoring", "Monitoring", "monitoring", [.bool("enabled", "Enabled", "enabled")]),
        .block(
            "cpu_options", "CpuOptions", "cpuOptions",
            [
                .int("core_count", "CoreCount", "coreCount"), .int("threads_per_core", "ThreadsPerCore", "threadsPerCore"),
            ]),
        .block("credit_specification", "CreditSpecification", "creditSpecification", [.string("cpu_credits", "CpuCredits", "cpuCredits")]),
        .block(
            "placement", "Placement", "placement",
            [
                .string("availability_zone", "AvailabilityZone", "availabilityZone"),
                .string("group_name", "GroupName", "groupName"),
                .string("tenancy", "Tenancy", "tenancy"),
            ]),
        .block(
            "private_dns_name_options", "PrivateDnsNameOptions", "privateDnsNameOptions",
            [
                .string("hostname_type", "HostnameType", "hostnameType"),
                .bool("enable_resource_name_dns_a_record", "EnableResourceNameDnsARecord", "enableResourceNameDnsARecord"),
                .bool("enable_resource_name_dns_aaaa_record", "EnableResourceNameDnsAAAARecord", "enableResourceNameDnsAAAARecord"),
            ]),
        .block(
            "iam_instance_profile", "IamInstanceProfile", "iamInstanceProfile",
            [
                .string("arn", "Arn", "arn"), .string("name", "Name", "name"),
            ]),
        .blocks(
            "network_interfaces", "NetworkInterface", "networkInterfaceSet",
            [
                .bool("associate_public_ip_address", "AssociatePublicIpAddress", "associatePublicIpAddress"),
                .bool("delete_on_termination", "DeleteOnTermination", "deleteOnTermination"),
                .int("device_index", "DeviceIndex", "deviceIndex"),
                .strings("security_groups", "SecurityGroupId", "groupSet"),
                .string("subnet_id", "SubnetId", "subnetId"),
                .string("description", "Description", "description"),
            ]),
        .blocks(
            "tag_specifications", "TagSpecification", "tagSpecificationSet",
            [
                .string("resource_type", "ResourceType", "resourceType"),
                .tags("tags"),
            ]),
    ]

    /// The attributes that live in a version: changing any publishes a new one.
    static let versioned: Set<String> = Set(data.map(\.attribute) + ["description"])

    // MARK: - Encoding

    /// `LaunchTemplateData.*` from the desired attributes.
    static func encode(_ fields: [Field], _ values: [String: Value], prefix: String) -> EC2.Parameters {
        var out: EC2.Parameters = []
        for field in fields {
            guard let value = values[field.attribute], value != .null else { continue }
            switch field {
            case .string(_, let wire, _), .int(_, let wire, _), .bool(_, let wire, _):
                if let text = value.textForm { out.append((name: "\(prefix).\(wire)", value: text)) }
            case .strings(_, let wire, _):
                for (index, item) in value.stringList.enumerated() { out.append((name: "\(prefix).\(wire).\(index + 1)", value: item)) }
            case .block(_, let wire, _, let inner):
                if case .map(let members) = value { out += encode(inner, members, prefix: "\(prefix).\(wire)") }
            case .blocks(_, let wire, _, let inner):
                guard case .list(let items) = value else { continue }
                for (index, item) in items.enumerated() {
                    if case .map(let members) = item { out += encode(inner, members, prefix: "\(prefix).\(wire).\(index + 1)") }
                }
            case .tags:
                for (index, tag) in value.stringMap.sorted(by: { $0.key < $1.key }).enumerated() {
                    out.append((name: "\(prefix).Tag.\(index + 1).Key", value: tag.key))
                    out.append((name: "\(prefix).Tag.\(index + 1).Value", value: tag.value))
                }
            }
        }
        return out
    }

    // MARK: - Decoding

    /// Catalog attributes from a response element; absent blocks are null, absent fields of a
    /// present block are null.
    static func decode(_ fields: [Field], _ node: XMLNode?) -> [String: Value] {
        var out: [String: Value] = [:]
        for field in fields {
            switch field {
            case .string(let attribute, _, let read):
                out[attribute] = node.flatMap { EC2.string($0, read) } ?? .null
            case .int(let attribute, _, let read):
                out[attribute] = node.flatMap { EC2.int($0, read) } ?? .null
            case .bool(let attribute, _, let read):
                out[attribute] = node?.child(read).map { .bool($0.text == "true") } ?? .null
            case .strings(let attribute, _, let read):
                let items = node?.child(read)?.children.map(\.text).filter { !$0.isEmpty } ?? []
                out[attribute] = items.isEmpty ? .null : .list(items.map(Value.string))
            case .block(let attribute, _, let read, let inner):
                out[attribute] = node?.child(read).map { .map(decode(inner, $0)) } ?? .null
            case .blocks(let attribute, _, let read, let inner):
                let items = node?.child(read)?.items ?? []
                out[attribute] = items.isEmpty ? .null : .list(items.map { .map(decode(inner, $0)) })
            case .tags(let attribute):
                out[attribute] = node.map { .map(EC2.tags(of: $0).mapValues(Value.string)) } ?? .null
            }
        }
        return out
    }

    // MARK: - Provider

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let ec2 = EC2(context)
        let templates = try await ec2.owned("DescribeLaunchTemplates", set: "launchTemplates")
        var live: [LiveResource] = []
        // The data lives in versions; EC2 reads them per template.
        for template in templates {
            if let resource = try await read(template, ec2, context.region) { live.append(resource) }
        }
        return live
    }

    private func read(_ template: XMLNode, _ ec2: EC2, _ region: String) async throws -> LiveResource? {
        guard let id = template.child("launchTemplateId")?.text else { return nil }
        let latest = template.child("latestVersionNumber").flatMap { Int($0.text) }
        let defaultVersion = template.child("defaultVersionNumber").flatMap { Int($0.text) }
        // The latest version by its number, as the template reported it in the same read.
        let versions = try await ec2.describe(
            "DescribeLaunchTemplateVersions", set: "launchTemplateVersionSet",
            [(name: "LaunchTemplateId", value: id), (name: "LaunchTemplateVersion.1", value: latest.map(String.init) ?? "$Latest")])
        let version = versions.first { latest == nil || $0.child("versionNumber").flatMap { Int($0.text) } == latest } ?? versions.first
        var attributes = Self.decode(Self.data, version?.child("launchTemplateData"))
        // Template tags are not instance tags: an answer that lists them among the data's tag
        // specifications (the sandbox does) is not a difference.
        if case .list(let specifications)? = attributes["tag_specifications"] {
            let kept = specifications.filter {
                if case .map(let fields) = $0 { return fields["resource_type"] != .string("launch-template") }
                return true
            }
            attributes["tag_specifications"] = kept.isEmpty ? .null : .list(kept)
        }
        let account = template.child("createdBy")?.text.split(separator: ":").dropFirst(4).first.map(String.init) ?? ""
        attributes["name"] = EC2.string(template, "launchTemplateName") ?? .null
        attributes["description"] = version.flatMap { EC2.string($0, "versionDescription") } ?? .null
        attributes["latest_version"] = latest.map(Value.int) ?? .null
        attributes["default_version"] = defaultVersion.map(Value.int) ?? .null
        // `update_default_version` steers updates and is not stored by AWS, so it is not read
        // back (the planner treats it as write-only); `default_version` shows where the default is.
        attributes["arn"] = .string("arn:aws:ec2:\(region):\(account):launch-template/\(id)")
        return EC2.taggedResource(type: type, id: id, item: template, attributes: attributes)
    }

    /// The template's name: the stack's, or the prefix plus the create's token (stable across
    /// re-runs, so the client token and the name agree).
    static func name(_ desired: DesiredResource) -> String {
        if let name = desired.attributes.string("name") { return name }
        return (desired.attributes.string("name_prefix") ?? "strata-") + String(desired.idempotencyToken.prefix(26))
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let ec2 = EC2(context)
        let parameters =
            [(name: "LaunchTemplateName", value: Self.name(desired))]
            + desired.ec2Parameter("VersionDescription", "description")
            + Self.encode(Self.data, desired.attributes, prefix: "LaunchTemplateData")
            + EC2.tagSpecification("launch-template", desired.tags)
        let answer = try await ec2.call("CreateLaunchTemplate", parameters, clientToken: EC2.clientToken(desired))
        let id = try EC2.createdID(answer, ["launchTemplate", "launchTemplateId"], call: "CreateLaunchTemplate", desired)
        await ec2.invalidate("DescribeLaunchTemplates")
        return try await refreshed(id, context)
            ?? LiveResource(type: type, address: desired.address, id: id, attributes: ["id": .string(id)])
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let ec2 = EC2(context)
        var newVersion: String?
        if !changed.isDisjoint(with: Self.versioned) {
            // The token follows the desired content, so a retried publish returns the same version.
            let answer = try await ec2.call(
                "CreateLaunchTemplateVersion",
                [(name: "LaunchTemplateId", value: live.id)]
                    + desired.ec2Parameter("VersionDescription", "description")
                    + Self.encode(Self.data, desired.attributes, prefix: "LaunchTemplateData"),
                clientToken: EC2.clientToken(desired))
            newVersion = answer["launchTemplateVersion", "versionNumber"]?.text
        }
        // Which version is the default: the one just published when asked, or the one named.
        let target: String?
        if let number = desired.attributes.int("default_version"), changed.contains("default_version") {
            target = String(number)
        } else if desired.ec2Bool("update_default_version", default: false),
            newVersion != nil || changed.contains("update_default_version")
        {
            target = newVersion ?? live.attributes.int("latest_version").map(String.init)
        } else {
            target = nil
        }
        if let target {
            try await ec2.call(
                "ModifyLaunchTemplate", [(name: "LaunchTemplateId", value: live.id), (name: "SetDefaultVersion", value: target)])
        }
        try await TagSync.update(live, to: desired, changed: changed, ec2.tagCalls(live.id))
        await ec2.invalidate("DescribeLaunchTemplates")
        return try await refreshed(live.id, context) ?? live
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        try await EC2(context).delete("DeleteLaunchTemplate", "LaunchTemplateId", live.id, listedBy: "DescribeLaunchTemplates")
    }

    private func refreshed(_ id: String, _ context: ProviderContext) async throws -> LiveResource? {
        let ec2 = EC2(context)
        let templates = try await ec2.describe("DescribeLaunchTemplates", set: "launchTemplates", [(name: "LaunchTemplateId.1", value: id)])
        guard let template = templates.first(where: { $0.child("launchTemplateId")?.text == id }) else { return nil }
        return try await read(template, ec2, context.region)
    }
}
