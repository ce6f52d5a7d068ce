import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

/// Nested blocks written the way a Terraform user writes them, across the whole catalog: every
/// list of blocks with several blocks in an order AWS does not return them in (and the same
/// blocks reversed), every single block set, inline security-group rules split and merged in
/// ways EC2 merges differently, protocol numbers for names. Each stack is applied by the built
/// binary against the sandbox; the plan after it must say "No changes", a second apply must
/// have nothing to do, and the plan after that must still say "No changes" — the flip-flop a
/// positional or half-owned comparison gives shows up as a change in one of those.
@Suite struct InlineFormsTests {
    /// One stack of the cases: its resources as JSON (a YAML flow document), `$NAME` standing
    /// for the unique stack name.
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var resources: String
        var description: String { name }
    }

    /// Lists of blocks AWS keeps as sets and returns in its own order are written in another;
    /// `reversed` writes each list of blocks back to front, so both orders are applied.
    enum Order: String, Sendable, CaseIterable { case written, reversed }

    static let network = #"""
        "vpc": { "type": "aws_vpc", "cidr_block": "10.61.0.0/16", "enable_dns_hostnames": true },
        "igw": { "type": "aws_internet_gateway", "vpc_id": "${vpc.id}" },
        "a": { "type": "aws_subnet", "vpc_id": "${vpc.id}", "cidr_block": "10.61.1.0/24", "availability_zone": "us-east-1a" },
        "b": { "type": "aws_subnet", "vpc_id": "${vpc.id}", "cidr_block": "10.61.2.0/24", "availability_zone": "us-east-1b" }
        """#

    static let trust =
        #"{ "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "SERVICE" }, "Action": ["sts:AssumeRole", "sts:TagSession"] }] }"#

    static func role(_ name: String, _ service: String) -> String {
        #""\#(name)_role": { "type": "aws_iam_role", "name": "$NAME-\#(name)", "assume_role_policy": \#(trust.replacingOccurrences(of: "SERVICE", with: service)) }"#
    }

    static let cases: [Case] = [
        Case(
            name: "network",
            resources: network + "," + #"""
                "public": {
                  "type": "aws_route_table", "vpc_id": "${vpc.id}",
                  "route": [
                    { "cidr_block": "10.200.0.0/16", "gateway_id": "${igw.id}" },
                    { "cidr_block": "0.0.0.0/0", "gateway_id": "${igw.id}" },
                    { "cidr_block": "10.100.0.0/16", "gateway_id": "${igw.id}" }
                  ]
                },
                "public_a": { "type": "aws_route_table_association", "subnet_id": "${a.id}", "route_table_id": "${public.id}" },
                "peers": { "type": "aws_security_group", "vpc_id": "${vpc.id}", "description": "peers" },
                "web": {
                  "type": "aws_security_group", "name": "$NAME-web", "vpc_id": "${vpc.id}",
                  "ingress": [
                    { "from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"] },
                    { "from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["10.0.0.0/8"], "description": "ssh" },
                    { "from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["192.168.0.0/16", "172.16.0.0/12"] },
                    { "from_port": 80, "to_port": 80, "protocol": "6", "cidr_blocks": ["10.0.0.0/8"], "security_groups": ["${peers.id}"], "self": true },
                    { "from_port": 0, "to_port": 0, "protocol": "-1", "self": true }
                  ],
                  "egress": [
                    { "from_port": 53, "to_port": 53, "protocol": "udp", "cidr_blocks": ["10.61.0.2/32"] },
                    { "from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": ["::/0"] }
                  ]
                },
                "template": {
                  "type": "aws_launch_template", "name": "$NAME-lt",
                  "block_device_mappings": [
                    { "device_name": "/dev/xvdb", "ebs": { "volume_size": 50, "volume_type": "gp3", "delete_on_termination": true } },
                    { "device_name": "/dev/xvda", "ebs": { "volume_size": 20, "volume_type": "gp3", "encrypted": true } }
                  ],
                  "network_interfaces": [
                    { "device_index": 1, "subnet_id": "${b.id}", "description": "secondary" },
                    { "device_index": 0, "security_groups": ["${web.id}", "${peers.id}"], "delete_on_termination": true, "description": "primary" }
                  ],
                  "tag_specifications": [
                    { "resource_type": "volume", "tags": { "kind": "data" } },
                    { "resource_type": "instance", "tags": { "kind": "node" } }
                  ],
                  "metadata_options": { "http_tokens": "required", "http_put_response_hop_limit": 2, "http_endpoint": "enabled" },
                  "monitoring": { "enabled": true },
                  "cpu_options": { "core_count": 2, "threads_per_core": 1 },
                  "credit_specification": { "cpu_credits": "standard" },
                  "placement": { "availability_zone": "us-east-1a", "tenancy": "default" },
                  "private_dns_name_options": { "hostname_type": "resource-name", "enable_resource_name_dns_a_record": true },
                  "iam_instance_profile": { "name": "${profile.name}" }
                },
                \#(role("node", "ec2.amazonaws.com")),
                "profile": { "type": "aws_iam_instance_profile", "name": "$NAME-profile", "role": "${node_role.name}" }
                """#),
        Case(
            name: "messaging",
            resources: #"""
                "queue": {
                  "type": "aws_sqs_queue", "name": "$NAME-q",
                  "policy": { "Version": "2012-10-17", "Statement": [{ "Effect": "Allow", "Principal": { "Service": "events.amazonaws.com" }, "Action": "sqs:SendMessage", "Resource": "*" }] }
                },
                "dlq": { "type": "aws_sqs_queue", "name": "$NAME-dlq.fifo", "fifo_queue": true },
                "rule": { "type": "aws_cloudwatch_event_rule", "name": "$NAME-rule", "event_pattern": { "source": ["aws.ec2"] } },
                "target": {
                  "type": "aws_cloudwatch_event_target", "rule": "${rule.name}", "target_id": "queue", "arn": "${dlq.arn}",
                  "input_transformer": { "input_paths": { "instance": "$.detail.instance-id", "state": "$.detail.state" }, "input_template": "\"<instance> is <state>\"" },
                  "dead_letter_config": { "arn": "${queue.arn}" },
                  "retry_policy": { "maximum_event_age_in_seconds": 3600, "maximum_retry_attempts": 4 },
                  "sqs_target": { "message_group_id": "ec2" }
                }
                """#),
        Case(
            name: "cluster",
            resources: network + "," + #"""
                \#(role("cluster", "eks.amazonaws.com")),
                \#(role("node", "ec2.amazonaws.com")),
                \#(role("csi", "pods.eks.amazonaws.com")),
                \#(role("other", "pods.eks.amazonaws.com")),
                "key": { "type": "aws_kms_key", "description": "secrets" },
                "control": { "type": "aws_security_group", "vpc_id": "${vpc.id}", "description": "control plane" },
                "cluster": {
                  "type": "aws_eks_cluster", "name": "$NAME", "version": "1.31", "role_arn": "${cluster_role.arn}",
                  "vpc_config": { "subnet_ids": ["${b.id}", "${a.id}"], "security_group_ids": ["${control.id}"], "endpoint_private_access": true, "public_access_cidrs": ["203.0.113.0/24", "198.51.100.0/24"] },
                  "kubernetes_network_config": { "service_ipv4_cidr": "172.20.0.0/16", "ip_family": "ipv4" },
                  "encryption_config": { "resources": ["secrets"], "provider": { "key_arn": "${key.arn}" } },
                  "access_config": { "authentication_mode": "API_AND_CONFIG_MAP", "bootstrap_cluster_creator_admin_permissions": false },
                  "upgrade_policy": { "support_type": "STANDARD" },
                  "zonal_shift_config": { "enabled": true }
                },
                "nodes_template": { "type": "aws_launch_template", "name": "$NAME-nodes" },
                "nodes": {
                  "type": "aws_eks_node_group", "cluster_name": "${cluster.name}", "node_group_name": "general",
                  "node_role_arn": "${node_role.arn}", "subnet_ids": ["${b.id}", "${a.id}"],
                  "scaling_config": { "min_size": 1, "max_size": 3, "desired_size": 2 },
                  "update_config": { "max_unavailable_percentage": 33 },
                  "launch_template": { "id": "${nodes_template.id}", "version": "$Latest" },
                  "taint": [
                    { "key": "zeta", "value": "1", "effect": "NO_SCHEDULE" },
                    { "key": "alpha", "effect": "PREFER_NO_SCHEDULE" },
                    { "key": "mid", "value": "x", "effect": "NO_EXECUTE" }
                  ]
                },
                "spot": {
                  "type": "aws_eks_node_group", "cluster_name": "${cluster.name}", "node_group_name": "spot",
                  "node_role_arn": "${node_role.arn}", "subnet_ids": ["${a.id}"], "capacity_type": "SPOT",
                  "scaling_config": { "min_size": 0, "max_size": 2, "desired_size": 0 },
                  "remote_access": { "ec2_ssh_key": "ops", "source_security_group_ids": ["${control.id}"] },
                  "node_repair_config": { "enabled": true },
                  "rollout": { "strategy": "rolling", "drain_timeout": "90s" }
                },
                "agent": { "type": "aws_eks_addon", "cluster_name": "${cluster.name}", "addon_name": "eks-pod-identity-agent" },
                "csi": {
                  "type": "aws_eks_addon", "depends_on": ["nodes", "agent"], "cluster_name": "${cluster.name}", "addon_name": "aws-ebs-csi-driver",
                  "pod_identity_association": [
                    { "role_arn": "${other_role.arn}", "service_account": "z-sa" },
                    { "role_arn": "${csi_role.arn}", "service_account": "ebs-csi-controller-sa" }
                  ]
                },
                "admins": { "type": "aws_eks_access_entry", "cluster_name": "${cluster.name}", "principal_arn": "${other_role.arn}" },
                "admins_view": {
                  "type": "aws_eks_access_policy_association", "depends_on": ["admins"], "cluster_name": "${cluster.name}",
                  "principal_arn": "${other_role.arn}", "policy_arn": "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
                  "access_scope": { "type": "namespace", "namespaces": ["kube-system", "default"] }
                }
                """#),
    ]

    /// `catalog type.attribute[.field...]` of every block a stack can set (not computed), single
    /// or listed, at any depth; the paths a list of blocks ends with `[]`.
    static func catalogBlocks() -> Set<String> {
        var out = Set<String>()
        func walk(_ fields: [String: AttributeSchema], _ prefix: String) {
            for (name, field) in fields where field.presence != .computed {
                switch field.type {
                case .object(let inner):
                    out.insert(prefix + "." + name)
                    walk(inner, prefix + "." + name)
                case .list(.object(let inner)):
                    out.insert(prefix + "." + name + "[]")
                    walk(inner, prefix + "." + name + "[]")
                default: break
                }
            }
        }
        for (type, schema) in ResourceCatalog.all { walk(schema.attributes, type) }
        return out
    }

    /// The block paths a stack's resources set, lists counted only with two blocks or more.
    static func blocksSet(in resources: [String: Any]) -> Set<String> {
        var out = Set<String>()
        for case let resource as [String: Any] in resources.values {
            guard let type = resource["type"] as? String, let schema = ResourceCatalog.all[type] else { continue }
            func walk(_ members: [String: Any], _ fields: [String: AttributeSchema], _ prefix: String) {
                for (name, value) in members {
                    guard let field = fields[name] else { continue }
                    switch (field.type, value) {
                    case (.object(let inner), let block as [String: Any]):
                        out.insert(prefix + "." + name)
                        walk(block, inner, prefix + "." + name)
                    case (.list(.object(let inner)), let blocks as [[String: Any]]):
                        if blocks.count >= 2 || prefix != type { out.insert(prefix + "." + name + "[]") }
                        for block in blocks { walk(block, inner, prefix + "." + name + "[]") }
                    default: break
                    }
                }
            }
            walk(resource, schema.attributes, type)
        }
        return out
    }

    static func resources(of example: Case) throws -> [String: Any] {
        let text = "{" + example.resources.replacingOccurrences(of: "$NAME", with: "t-name") + "}"
        return try #require(
            try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(example.name) is not JSON")
    }

    /// Every block of the catalog is set by one of the cases, lists with several blocks: a new
    /// block in the catalog needs a case before it ships. `kubernetes_manifest`'s blocks steer
    /// how strata applies a manifest (field manager, waits) and are covered by its own tests.
    @Test func everyBlockOfTheCatalogIsSetByACase() throws {
        var covered = Set<String>()
        for example in Self.cases { covered.formUnion(Self.blocksSet(in: try Self.resources(of: example))) }
        let expected = Self.catalogBlocks().filter { !$0.hasPrefix("kubernetes_manifest.") }
        let missing = expected.subtracting(covered).sorted()
        #expect(missing.isEmpty, "blocks no case sets (with two blocks or more for a list): \(missing)")
        #expect(expected.count > 25, "\(expected.sorted())")
    }

    /// The stack file for one case in one order.
    static func stack(_ example: Case, _ order: Order, name: String) throws -> String {
        var resources = try resources(of: example)
        if order == .reversed {
            for (key, value) in resources {
                guard var resource = value as? [String: Any], let type = resource["type"] as? String,
                    let schema = ResourceCatalog.all[type]
                else { continue }
                for (attribute, field) in schema.attributes {
                    if case .list(.object) = field.type, let blocks = resource[attribute] as? [Any] {
                        resource[attribute] = Array(blocks.reversed())
                    }
                }
                resources[key] = resource
            }
        }
        let document: [String: Any] = [
            "stack": name, "region": "us-east-1", "tags": ["team": "platform"], "resources": resources,
        ]
        let data = try JSONSerialization.data(
            withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "t-name", with: name)
    }

    @Test(.timeLimit(.minutes(10)), arguments: cases, Order.allCases)
    func applyThenPlanSaysNoChangesAndASecondApplyHasNothingToDo(_ example: Case, _ order: Order) async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { try Self.stack(example, order, name: $0) })
        defer { copy.remove() }
        let (name, env) = (copy.stack, copy.environment(sandbox))
        let root = URL(fileURLWithPath: copy.path)

        let apply = try await StrataBinary.run(["apply", root.path, "--auto-approve"], environment: env)
        #expect(apply.status == 0, "apply failed:\n\(apply.stdout)\n\(apply.stderr)")
        for round in 1...2 {
            let plan = try await StrataBinary.run(["plan", root.path, "--detailed-exitcode"], environment: env)
            #expect(plan.status == 0, "plan \(round) after apply has changes:\n\(plan.stdout)\n\(plan.stderr)")
            if plan.status != 0 { break }
            if round == 1 {
                let again = try await StrataBinary.run(["apply", root.path, "--auto-approve"], environment: env)
                #expect(
                    again.status == 0 && again.stdout.contains("No changes"),
                    "second apply:\n\(again.stdout)\n\(again.stderr)")
            }
        }

        let destroy = try await StrataBinary.run(["destroy", root.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "destroy failed:\n\(destroy.stdout)\n\(destroy.stderr)")
        #expect(!destroy.stdout.contains("untracked"), "destroy named a declared child `untracked`:\n\(destroy.stdout)")
        let census = try await StackCensus.take(sandbox.client(), stack: name)
        #expect(census.isEmpty, "left after destroy: \(census)")
    }

    /// Who owns a route, whichever form the stack uses. A table that declares `route` inline owns
    /// its whole set: a route added out of band is planned away, and the plan names the table,
    /// not an `untracked` route. A table whose routes are resources of their own leaves a route
    /// it does not declare alone. Destroy names the declared route by its address.
    @Test(.timeLimit(.minutes(10))) func aRouteAddedOutOfBandIsRemovedOnlyFromATableThatDeclaresItsRoutesInline()
        async throws
    {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { name in
            """
            stack: \(name)
            region: us-east-1
            resources:
              vpc: { type: aws_vpc, cidr_block: 10.62.0.0/16 }
              igw: { type: aws_internet_gateway, vpc_id: "${vpc.id}" }
              a: { type: aws_subnet, vpc_id: "${vpc.id}", cidr_block: 10.62.1.0/24, availability_zone: us-east-1a }
              inline:
                type: aws_route_table
                vpc_id: ${vpc.id}
                route: [{ cidr_block: 0.0.0.0/0, gateway_id: "${igw.id}" }]
              separate: { type: aws_route_table, vpc_id: "${vpc.id}" }
              default: { type: aws_route, route_table_id: "${separate.id}", destination_cidr_block: 0.0.0.0/0, gateway_id: "${igw.id}" }
              separate_a: { type: aws_route_table_association, subnet_id: "${a.id}", route_table_id: "${separate.id}" }
            """
        })
        defer { copy.remove() }
        let (name, env) = (copy.stack, copy.environment(sandbox))
        let root = URL(fileURLWithPath: copy.path)
        let apply = try await StrataBinary.run(["apply", root.path, "--auto-approve"], environment: env)
        #expect(apply.status == 0, "apply failed:\n\(apply.stdout)\n\(apply.stderr)")
        let plan = try await StrataBinary.run(["plan", root.path, "--detailed-exitcode"], environment: env)
        #expect(plan.status == 0, "plan after apply has changes:\n\(plan.stdout)\n\(plan.stderr)")

        // Another team's route into each table.
        let client = sandbox.client()
        let tables = try await client.query(
            .ec2, action: "DescribeRouteTables",
            parameters: [("Filter.1.Name", "tag:strata:stack"), ("Filter.1.Value.1", name)])
        let gateways = try await client.query(
            .ec2, action: "DescribeInternetGateways",
            parameters: [("Filter.1.Name", "tag:strata:stack"), ("Filter.1.Value.1", name)])
        let gateway = try #require(gateways.first(named: "internetGatewayId")?.text)
        var tableOf: [String: String] = [:]
        for table in tables.child("routeTableSet")?.items ?? [] {
            let address = table.child("tagSet")?.items.first { $0.child("key")?.text == "strata:address" }?.child(
                "value")?.text
            if let address, let id = table.child("routeTableId")?.text { tableOf[address] = id }
        }
        for address in ["aws_route_table.inline", "aws_route_table.separate"] {
            let table = try #require(tableOf[address], "\(tableOf)")
            _ = try await client.query(
                .ec2, action: "CreateRoute",
                parameters: [
                    ("RouteTableId", table), ("DestinationCidrBlock", "192.168.0.0/16"), ("GatewayId", gateway),
                ])
        }

        let drift = try await StrataBinary.run(["plan", root.path, "--detailed-exitcode"], environment: env)
        #expect(drift.status == 2, "\(drift.stdout)\n\(drift.stderr)")
        #expect(drift.stdout.contains("aws_route_table.inline will be updated in-place"), "\(drift.stdout)")
        #expect(drift.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."), "\(drift.stdout)")
        #expect(!drift.stdout.contains("untracked"), "\(drift.stdout)")
        let heal = try await StrataBinary.run(["apply", root.path, "--auto-approve"], environment: env)
        #expect(heal.status == 0, "\(heal.stdout)\n\(heal.stderr)")
        let after = try await client.query(
            .ec2, action: "DescribeRouteTables",
            parameters: [("Filter.1.Name", "tag:strata:stack"), ("Filter.1.Value.1", name)])
        var destinations: [String: Set<String>] = [:]
        for table in after.child("routeTableSet")?.items ?? [] {
            guard let id = table.child("routeTableId")?.text else { continue }
            destinations[id] = Set(
                (table.child("routeSet")?.items ?? []).compactMap { $0.child("destinationCidrBlock")?.text })
        }
        #expect(
            destinations[tableOf["aws_route_table.inline"] ?? ""] == ["10.62.0.0/16", "0.0.0.0/0"], "\(destinations)")
        #expect(
            destinations[tableOf["aws_route_table.separate"] ?? ""] == ["10.62.0.0/16", "0.0.0.0/0", "192.168.0.0/16"],
            "\(destinations)")
        let settled = try await StrataBinary.run(["plan", root.path, "--detailed-exitcode"], environment: env)
        #expect(settled.status == 0, "\(settled.stdout)\n\(settled.stderr)")

        let destroy = try await StrataBinary.run(["destroy", root.path, "--auto-approve"], environment: env)
        #expect(destroy.status == 0, "destroy failed:\n\(destroy.stdout)\n\(destroy.stderr)")
        #expect(destroy.stdout.contains("aws_route.default ("), "\(destroy.stdout)")
        #expect(!destroy.stdout.contains("untracked"), "\(destroy.stdout)")
        #expect(try await StackCensus.take(client, stack: name).isEmpty)
    }
}
