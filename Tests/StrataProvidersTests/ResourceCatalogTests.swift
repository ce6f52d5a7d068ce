import Foundation
import StrataModel
import Testing

@testable import StrataProviders

/// The catalog's invariants: the checker, the planner and the providers all trust these, so a
/// type that breaks one would show up far from here (a perpetual diff, a crash in a provider).
@Suite struct ResourceCatalogTests {
    /// Every type strata ships, with the plane it reports under. Adding a type means adding it
    /// here too, which is the point: a new type's plane is a decision, not an accident.
    static let expectedPlanes: [String: Plane] = [
        "aws_vpc": .network, "aws_subnet": .network, "aws_internet_gateway": .network,
        "aws_eip": .network, "aws_nat_gateway": .network, "aws_route_table": .network,
        "aws_route": .network, "aws_route_table_association": .network,
        "aws_security_group": .security, "aws_security_group_rule": .security,
        "aws_vpc_security_group_ingress_rule": .security, "aws_vpc_security_group_egress_rule": .security,
        "aws_iam_role": .security, "aws_iam_policy": .security, "aws_iam_role_policy_attachment": .security,
        "aws_iam_role_policy": .security, "aws_iam_instance_profile": .security,
        "aws_iam_openid_connect_provider": .security, "aws_kms_key": .security, "aws_kms_alias": .security,
        "aws_cloudwatch_log_group": .observability, "aws_cloudwatch_event_rule": .observability,
        "aws_cloudwatch_event_target": .observability,
        "aws_eks_cluster": .control, "aws_eks_node_group": .compute, "aws_eks_addon": .control,
        "aws_eks_access_entry": .security, "aws_eks_access_policy_association": .security,
        "aws_eks_pod_identity_association": .security, "aws_launch_template": .compute,
        "aws_sqs_queue": .storage, "aws_sqs_queue_policy": .security,
        "kubernetes_manifest": .control,
    ]

    /// Types AWS cannot tag: children listed through their parent's description.
    static let untaggable: Set<String> = [
        "aws_route", "aws_route_table_association", "aws_security_group_rule",
        "aws_iam_role_policy_attachment", "aws_iam_role_policy", "aws_kms_alias",
        "aws_eks_access_policy_association", "aws_sqs_queue_policy", "aws_cloudwatch_event_target",
        "kubernetes_manifest",
    ]

    @Test func catalogHoldsExactlyTheShippedTypesOnTheirPlanes() {
        #expect(Set(ResourceCatalog.all.keys) == Set(Self.expectedPlanes.keys))
        #expect(ResourceCatalog.schemas.count == ResourceCatalog.all.count, "a type is registered twice")
        for (type, plane) in Self.expectedPlanes {
            #expect(ResourceCatalog.schema(for: type)?.plane == plane, "\(type)")
        }
        #expect(ResourceCatalog.schema(for: "aws_vpcc") == nil)
    }

    @Test func typeNamesAreProviderNames() {
        for schema in ResourceCatalog.schemas {
            #expect(schema.type.hasPrefix("aws_") || schema.type.hasPrefix("kubernetes_"), "\(schema.type)")
            #expect(Self.isSnakeCase(schema.type), "\(schema.type)")
            #expect(!schema.summary.isEmpty, "\(schema.type) has no summary")
        }
    }

    @Test func everyTypeHasAComputedID() {
        for schema in ResourceCatalog.schemas {
            let id = schema.attributes["id"]
            #expect(id?.presence == .computed, "\(schema.type)")
            #expect(id?.type == .string, "\(schema.type)")
        }
    }

    @Test func tagsIffTaggable() {
        for schema in ResourceCatalog.schemas {
            #expect(schema.taggable == !Self.untaggable.contains(schema.type), "\(schema.type)")
            if schema.taggable {
                #expect(schema.attributes["tags"]?.presence == .optional, "\(schema.type)")
                #expect(schema.attributes["tags"]?.type == .map(.string), "\(schema.type)")
                #expect(schema.attributes["tags_all"]?.presence == .computed, "\(schema.type)")
                #expect(schema.attributes["tags_all"]?.type == .map(.string), "\(schema.type)")
            } else {
                #expect(schema.attributes["tags"] == nil, "\(schema.type) is untaggable but has tags")
                #expect(schema.attributes["tags_all"] == nil, "\(schema.type) is untaggable but has tags_all")
            }
        }
    }

    @Test func attributeNamesAreSnakeCaseAndMatchTheirKeys() {
        for schema in ResourceCatalog.schemas {
            Self.walk(schema) { path, key, attribute in
                #expect(key == attribute.name, "\(path)")
                #expect(Self.isSnakeCase(attribute.name), "\(path)")
            }
        }
    }

    /// Presence, defaults and replacement must agree: a value only AWS sets cannot be defaulted
    /// or force anything, and a default on a required attribute would never apply.
    @Test func presenceDefaultsAndReplacementAreConsistent() {
        for schema in ResourceCatalog.schemas {
            Self.walk(schema) { path, _, attribute in
                switch attribute.presence {
                case .computed:
                    #expect(attribute.serverDefault == nil, "\(path) is computed and defaulted")
                    #expect(!attribute.forcesReplacement, "\(path) is computed and forces replacement")
                case .required:
                    #expect(attribute.serverDefault == nil, "\(path) is required and defaulted")
                case .optionalComputed:
                    // optionalComputed means "unknown until apply"; a known default says otherwise.
                    #expect(attribute.serverDefault == nil, "\(path) is optionalComputed and defaulted")
                case .optional:
                    break
                }
                if let value = attribute.serverDefault {
                    #expect(Self.defaultMatches(value, attribute.type), "\(path): \(value) is not a \(attribute.type)")
                }
            }
        }
    }

    /// The server defaults that, left out, cause the classic perpetual diffs.
    @Test func knownServerDefaults() {
        func attribute(_ type: String, _ path: String...) -> AttributeSchema? {
            var fields = ResourceCatalog.schema(for: type)?.attributes
            var found: AttributeSchema?
            for name in path {
                found = fields?[name]
                if case .object(let nested)? = found?.type { fields = nested } else { fields = nil }
            }
            return found
        }
        #expect(attribute("aws_vpc", "instance_tenancy")?.serverDefault == .string("default"))
        #expect(attribute("aws_vpc", "enable_dns_support")?.serverDefault == .bool(true))
        #expect(attribute("aws_vpc", "enable_dns_hostnames")?.serverDefault == .bool(false))
        #expect(attribute("aws_subnet", "map_public_ip_on_launch")?.serverDefault == .bool(false))
        #expect(attribute("aws_iam_role", "path")?.serverDefault == .string("/"))
        #expect(attribute("aws_iam_role", "max_session_duration")?.serverDefault == .int(3600))
        #expect(attribute("aws_sqs_queue", "message_retention_seconds")?.serverDefault == .int(345_600))
        #expect(attribute("aws_eks_cluster", "vpc_config", "endpoint_public_access")?.serverDefault == .bool(true))
        #expect(attribute("aws_eks_cluster", "kubernetes_network_config", "service_ipv4_cidr")?.presence == .optionalComputed)
        #expect(attribute("aws_eks_cluster", "version")?.presence == .optionalComputed)
        #expect(attribute("aws_eks_cluster", "identity", "oidc", "issuer")?.presence == .computed)
        #expect(attribute("aws_eks_node_group", "capacity_type")?.serverDefault == .string("ON_DEMAND"))
    }

    /// Attributes AWS cannot change in place must say so, or a plan would promise an update
    /// that fails at apply.
    @Test func immutableAttributesForceReplacement() {
        let immutable: [(String, String)] = [
            ("aws_vpc", "cidr_block"), ("aws_subnet", "vpc_id"), ("aws_subnet", "cidr_block"),
            ("aws_subnet", "availability_zone"), ("aws_nat_gateway", "subnet_id"),
            ("aws_eks_cluster", "name"), ("aws_eks_node_group", "subnet_ids"),
            ("aws_eks_node_group", "instance_types"), ("aws_iam_role", "name"),
            ("aws_security_group_rule", "from_port"), ("aws_iam_openid_connect_provider", "url"),
        ]
        for (type, name) in immutable {
            #expect(ResourceCatalog.schema(for: type)?.attributes[name]?.forcesReplacement == true, "\(type).\(name)")
        }
        let mutable: [(String, String)] = [
            ("aws_eks_cluster", "version"), ("aws_eks_node_group", "scaling_config"),
            ("aws_eks_addon", "addon_version"), ("aws_iam_role", "assume_role_policy"),
            ("aws_iam_policy", "policy"), ("aws_vpc", "enable_dns_hostnames"),
        ]
        for (type, name) in mutable {
            #expect(ResourceCatalog.schema(for: type)?.attributes[name]?.forcesReplacement == false, "\(type).\(name)")
        }
    }

    @Test func blocksAndDocumentsHaveTheExpectedShapes() {
        let cluster = ResourceCatalog.schema(for: "aws_eks_cluster")
        guard case .object(let vpcConfig)? = cluster?.attributes["vpc_config"]?.type else {
            Issue.record("aws_eks_cluster.vpc_config is not a block")
            return
        }
        #expect(vpcConfig["subnet_ids"]?.presence == .required)
        guard case .list(.object(let rules))? = ResourceCatalog.schema(for: "aws_security_group")?.attributes["ingress"]?.type
        else {
            Issue.record("aws_security_group.ingress is not a list of blocks")
            return
        }
        #expect(rules["from_port"]?.type == .int)
        #expect(ResourceCatalog.schema(for: "aws_iam_role")?.attributes["assume_role_policy"]?.type == .json)
        #expect(ResourceCatalog.schema(for: "kubernetes_manifest")?.attributes["manifest"]?.type == .any)
        #expect(ResourceCatalog.schema(for: "kubernetes_manifest")?.attributes["cluster"]?.presence == .required)
    }

    // MARK: - Helpers

    static func isSnakeCase(_ name: String) -> Bool {
        name.range(of: #"^[a-z][a-z0-9]*(_[a-z0-9]+)*$"#, options: .regularExpression) != nil
    }

    /// Visits every attribute of a type, nested block fields included, with a dotted path.
    static func walk(_ schema: ResourceSchema, _ visit: (String, String, AttributeSchema) -> Void) {
        func visitFields(_ fields: [String: AttributeSchema], prefix: String) {
            for (key, attribute) in fields.sorted(by: { $0.key < $1.key }) {
                let path = "\(prefix).\(key)"
                visit(path, key, attribute)
                descend(attribute.type, prefix: path)
            }
        }
        func descend(_ type: ValueType, prefix: String) {
            switch type {
            case .list(let element), .map(let element): descend(element, prefix: prefix)
            case .object(let nested): visitFields(nested, prefix: prefix)
            default: break
            }
        }
        visitFields(schema.attributes, prefix: schema.type)
    }

    static func defaultMatches(_ value: SchemaDefault, _ type: ValueType) -> Bool {
        switch (value, type) {
        case (.string, .string), (.int, .int), (.int, .number), (.bool, .bool): true
        case (.emptyList, .list), (.emptyMap, .map): true
        default: false
        }
    }
}
