import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import Testing

@testable import StrataPlanner

/// The human plan, Terraform's plan JSON and plan files, from hand-made plans: pure.
@Suite struct PlanOutputTests {
    static let vpc = ResourceAddress(module: "network", type: "aws_vpc", name: "vpc")
    static let role = ResourceAddress(module: nil, type: "aws_iam_role", name: "ci")
    static let cluster = ResourceAddress(module: "cluster", type: "aws_eks_cluster", name: "cluster")
    static let subnet = ResourceAddress(module: "network", type: "aws_subnet", name: "private", key: .name("a"))
    static let pool = ResourceAddress(module: "cluster", type: "aws_eks_node_group", name: "nodes", key: .name("system"))

    static var plan: Plan {
        let liveVPC = LiveResource(
            type: "aws_vpc", address: vpc, id: "vpc-1",
            attributes: ["id": .string("vpc-1"), "cidr_block": .string("10.0.0.0/16"), "enable_dns_hostnames": .bool(true)])
        let liveRole = LiveResource(
            type: "aws_iam_role", address: role, id: "ci", attributes: ["name": .string("ci"), "id": .string("ci")])
        let liveCluster = LiveResource(
            type: "aws_eks_cluster", address: cluster, id: "prod",
            attributes: ["name": .string("prod"), "version": .string("1.30"), "id": .string("prod")], transitional: "UPDATING")
        return Plan(
            stack: "prod", region: "us-east-1", createdAt: Date(timeIntervalSince1970: 1_700_000_000), stackPath: "/s",
            vars: ["env": "prod"],
            changes: [
                ResourceChange(
                    address: vpc, type: "aws_vpc", plane: .network, action: .replace, before: liveVPC.attributes,
                    after: ["cidr_block": .string("10.1.0.0/16"), "enable_dns_hostnames": .bool(true)],
                    changedAttributes: ["cidr_block"], replaceBecause: ["cidr_block"], live: liveVPC, idempotencyToken: "t1"),
                ResourceChange(
                    address: subnet, type: "aws_subnet", plane: .network, action: .create, before: nil,
                    after: ["cidr_block": .string("10.1.0.0/20"), "vpc_id": .unknown(.string), "secret": .string("hunter2")],
                    dependencies: [vpc], idempotencyToken: "t2", sensitiveAttributes: ["secret"]),
                ResourceChange(
                    address: role, type: "aws_iam_role", plane: .security, action: .delete, before: liveRole.attributes,
                    after: nil, live: liveRole),
                ResourceChange(
                    address: cluster, type: "aws_eks_cluster", plane: .control, action: .update, before: liveCluster.attributes,
                    after: [
                        "name": .string("prod"), "version": .string("1.31"),
                        "vpc_config": .map(["subnet_ids": .list([.unknown(.string)]), "endpoint_public_access": .bool(true)]),
                    ],
                    changedAttributes: ["version"], live: liveCluster),
            ],
            liveFingerprint: "abc",
            rollouts: [
                RolloutPlan(
                    cluster: cluster, clusterName: "prod", fromVersion: "1.30", toVersion: "1.31",
                    steps: [
                        RolloutStep(
                            kind: .controlPlane, hop: "1.31", target: cluster, name: "prod", fromVersion: "1.30", toVersion: "1.31",
                            estimateSeconds: 1200, summary: "control plane 1.30 -> 1.31"),
                        RolloutStep(
                            kind: .nodePoolBlueGreen, hop: "1.31", target: pool, name: "system", fromVersion: "1.30", toVersion: "1.31",
                            greenName: "system-1-31", nodes: 2, drainTimeoutSeconds: 900, estimateSeconds: 450, resuming: true,
                            summary: "node pool system 1.30 -> 1.31, blue/green"),
                    ],
                    findings: [
                        RolloutFinding(
                            severity: .warning, code: "pdb-blocks-now", message: "PDB web allows no disruption now",
                            fix: "wait for web's pods to be Ready", target: pool,
                            span: SourceSpan(file: "stacks/prod/stack.yaml", line: 30, column: 9))
                    ])
            ])
    }

    @Test func humanPlan() {
        let text = PlanRenderer(colour: false).render(Self.plan)
        #expect(text.contains("# module.network.aws_vpc.vpc must be replaced"))
        #expect(text.contains("-/+ resource \"aws_vpc\" \"vpc\" {"))
        #expect(text.contains(#"~ cidr_block = "10.0.0.0/16" -> "10.1.0.0/16" # forces replacement"#))
        #expect(text.contains("# aws_iam_role.ci will be destroyed"))
        #expect(text.contains("# module.cluster.aws_eks_cluster.cluster will be updated in-place"))
        #expect(text.contains(#"~ version = "1.30" -> "1.31""#))
        #expect(text.contains("(sensitive value)"))
        #expect(!text.contains("hunter2"))
        #expect(
            text.contains(
                "Rollout of cluster prod 1.30 -> 1.31 (module.cluster.aws_eks_cluster.cluster): 1 hop, 2 steps, about 27m 30s\n"
                    + "  at 1.31:\n    1. control plane 1.30 -> 1.31  ~20m\n    2. node pool system 1.30 -> 1.31, blue/green  ~7m 30s\n"
                    + "  warning [pdb-blocks-now] PDB web allows no disruption now (stacks/prod/stack.yaml:30:9)\n"
                    + "    fix: wait for web's pods to be Ready\n"), "\(text)")
        #expect(text.contains("Plan: 2 to add, 1 to change, 2 to destroy."))
        // Grouped by module: the stack root first, then modules in order.
        let root = text.range(of: "# stack root")!.lowerBound
        let cluster = text.range(of: "# module.cluster\n")!.lowerBound
        let network = text.range(of: "# module.network\n")!.lowerBound
        #expect(root < cluster && cluster < network)
        #expect(!text.contains("\u{1B}["))
        #expect(PlanRenderer(colour: true).render(Self.plan).contains("\u{1B}[32m+\u{1B}[0m"))
    }

    @Test func terraformJSON() throws {
        let document = TerraformPlanJSON(strataVersion: "t").document(Self.plan)
        let changes = try #require(document["resource_changes"]?.arrayValue)
        func change(_ address: ResourceAddress) -> JSONValue? { changes.first { $0["address"] == .string(address.canonical) } }
        #expect(change(Self.vpc)?["change"]?["actions"] == .array(["delete", "create"]))
        #expect(change(Self.vpc)?["change"]?["replace_paths"] == .array([.array(["cidr_block"])]))
        #expect(change(Self.vpc)?["action_reason"] == .string("replace_because_cannot_update"))
        #expect(change(Self.role)?["change"]?["actions"] == .array(["delete"]))
        #expect(change(Self.role)?["change"]?["after"] == .null)
        #expect(change(Self.subnet)?["index"] == .string("a"))
        #expect(change(Self.subnet)?["change"]?["after_sensitive"]?["secret"] == .bool(true))
        let clusterChange = try #require(change(Self.cluster)?["change"])
        #expect(clusterChange["actions"] == .array(["update"]))
        // Nested blocks as Terraform writes them: a list of one object; unknowns marked inside. A
        // set (`subnet_ids`) with an unknown element is wholly unknown, as in Terraform.
        #expect(clusterChange["after"]?["vpc_config"]?.arrayValue?.first?["endpoint_public_access"] == .bool(true))
        #expect(clusterChange["after"]?["vpc_config"]?.arrayValue?.first?["subnet_ids"] == nil)
        #expect(clusterChange["after_unknown"]?["vpc_config"]?.arrayValue?.first?["subnet_ids"] == .bool(true))
        #expect(document["variables"]?["env"]?["value"] == .string("prod"))
        let planned = try #require(document["planned_values"]?["root_module"])
        #expect(planned["resources"]?.arrayValue?.isEmpty == true)  // the root's only resource is deleted
        let configuration = try #require(
            document["configuration"]?["root_module"]?["module_calls"]?["network"]?["module"]?["resources"]?.arrayValue)
        let subnetBlock = try #require(configuration.first { $0["address"] == .string("aws_subnet.private") })
        #expect(subnetBlock["expressions"]?["vpc_id"]?["references"] == .array(["aws_vpc.vpc.id", "aws_vpc.vpc"]))
        #expect(subnetBlock["expressions"]?["cidr_block"]?["constant_value"] == .string("10.1.0.0/20"))
    }

    /// The shapes Terraform 1.11 with the AWS provider 5.100 writes for the same resources
    /// (`terraform show -json` of a plan of the same configuration), where a policy tool can tell
    /// them apart: lists of blocks, unset attributes, partly unknown documents, provider types.
    @Test func terraformJSONWritesWhatTerraformWrites() throws {
        let template = ResourceAddress(module: "cluster", type: "aws_launch_template", name: "nodes")
        let rule = ResourceAddress(module: "cluster", type: "aws_vpc_security_group_ingress_rule", name: "https")
        let policy = ResourceAddress(module: "cluster", type: "aws_iam_role_policy", name: "kms")
        let plan = Plan(
            stack: "prod", region: "us-east-1", createdAt: Date(timeIntervalSince1970: 1_700_000_000), stackPath: "/s",
            vars: [:],
            changes: [
                ResourceChange(
                    address: template, type: "aws_launch_template", plane: .compute, action: .create, before: nil,
                    after: [
                        "name": .string("nodes"),
                        "block_device_mappings": .list([
                            .map(["device_name": .string("/dev/xvda"), "ebs": .map(["encrypted": .bool(true), "volume_size": .int(50)])])
                        ]),
                        "vpc_security_group_ids": .list([.unknown(.string)]),
                    ]),
                ResourceChange(
                    address: rule, type: "aws_vpc_security_group_ingress_rule", plane: .security, action: .create, before: nil,
                    after: [
                        "ip_protocol": .string("tcp"), "from_port": .int(443), "to_port": .int(443),
                        "security_group_id": .unknown(.string), "referenced_security_group_id": .unknown(.string),
                    ], dependencies: [template]),
                // Recorded per expression by the compiler: a reference whose value is known
                // still lists it (`var.port`), a literal is a constant.
                ResourceChange(
                    address: ResourceAddress(module: "cluster", type: "aws_vpc_security_group_ingress_rule", name: "dns"),
                    type: "aws_vpc_security_group_ingress_rule", plane: .security, action: .create, before: nil,
                    after: [
                        "ip_protocol": .string("udp"), "from_port": .int(53), "to_port": .int(53),
                        "security_group_id": .unknown(.string), "referenced_security_group_id": .unknown(.string),
                    ], dependencies: [template],
                    references: [
                        "from_port": ["var.port"], "to_port": ["var.port"],
                        "security_group_id": ["aws_security_group.nodes.id", "aws_security_group.nodes"],
                        "referenced_security_group_id": ["aws_security_group.nodes.id", "aws_security_group.nodes"],
                    ]),
                ResourceChange(
                    address: policy, type: "aws_iam_role_policy", plane: .security, action: .create, before: nil,
                    after: [
                        "name": .string("kms"), "role": .string("cluster"),
                        "policy": .map(["Statement": .list([.map(["Effect": .string("Allow"), "Resource": .unknown(.string)])])]),
                    ]),
            ],
            liveFingerprint: "abc")
        let document = TerraformPlanJSON(strataVersion: "t").document(plan)
        let changes = try #require(document["resource_changes"]?.arrayValue)
        func change(_ address: ResourceAddress) throws -> JSONValue {
            try #require(changes.first { $0["address"] == .string(address.canonical) }?["change"])
        }
        // A list of blocks is a list of objects (not of one-object lists); the provider's string
        // booleans are strings; unset block fields are null, unset blocks `[]`.
        let lt = try change(template)
        let mapping = try #require(lt["after"]?["block_device_mappings"]?.arrayValue?.first)
        #expect(mapping["device_name"] == .string("/dev/xvda"))
        #expect(mapping["ebs"]?.arrayValue?.first?["encrypted"] == .string("true"))
        #expect(mapping["ebs"]?.arrayValue?.first?["volume_size"] == .int(50))
        #expect(mapping["ebs"]?.arrayValue?.first?["kms_key_id"] == .null)
        #expect(
            lt["after_unknown"]?["block_device_mappings"]
                == .array([
                    .object([
                        "ebs": .array([
                            .object([
                                "iops": .bool(true), "throughput": .bool(true), "volume_type": .bool(true),
                            ])
                        ])
                    ])
                ]))
        #expect(lt["after"]?["cpu_options"] == .array([]))
        #expect(lt["after"]?["image_id"] == .null)
        #expect(lt["after"]?["tags"] == .null)
        #expect(lt["after"]?["name_prefix"] == nil)
        #expect(lt["after_unknown"]?["name_prefix"] == .bool(true))
        #expect(lt["after"]?["vpc_security_group_ids"] == nil)
        #expect(lt["after_unknown"]?["vpc_security_group_ids"] == .bool(true))
        #expect(lt["after_unknown"]?["arn"] == .bool(true))
        // Unset optional attributes are null, not absent: a check reading `cidr_ipv4` sees no CIDR.
        let sg = try change(rule)
        #expect(sg["after"]?["cidr_ipv4"] == .null)
        #expect(sg["after"]?["from_port"] == .int(443))
        #expect(sg["after_unknown"]?["security_group_id"] == .bool(true))
        // A document with an unknown part is wholly unknown (`jsonencode` of an unknown is
        // unknown), never a partial document a check would misread.
        let doc = try change(policy)
        #expect(doc["after"]?["policy"] == nil)
        #expect(doc["after_unknown"]?["policy"] == .bool(true))
        // The configuration writes blocks field by field and unknowns as references (without
        // recorded references, as in older plan files: the instance's dependencies).
        let configuration = try #require(
            document["configuration"]?["root_module"]?["module_calls"]?["cluster"]?["module"]?["resources"]?.arrayValue)
        let ltConfig = try #require(configuration.first { $0["address"] == .string("aws_launch_template.nodes") })
        #expect(
            ltConfig["expressions"]?["block_device_mappings"]?.arrayValue?.first?["device_name"]
                == .object(["constant_value": .string("/dev/xvda")]))
        let ruleConfig = try #require(configuration.first { $0["address"] == .string("aws_vpc_security_group_ingress_rule.https") })
        #expect(
            ruleConfig["expressions"]?["security_group_id"]?["references"]
                == .array(["aws_launch_template.nodes.id", "aws_launch_template.nodes"]))
        let dnsConfig = try #require(configuration.first { $0["address"] == .string("aws_vpc_security_group_ingress_rule.dns") })
        #expect(
            dnsConfig["expressions"]?["security_group_id"]?["references"]
                == .array(["aws_security_group.nodes.id", "aws_security_group.nodes"]))
        #expect(dnsConfig["expressions"]?["from_port"]?["references"] == .array(["var.port"]))
        #expect(dnsConfig["expressions"]?["ip_protocol"] == .object(["constant_value": .string("udp")]))
    }

    /// A rollout of warnings only (a cluster ahead of its files) is shown, never run; a blocked
    /// one is taken up so apply refuses it.
    @Test func applyTakesUpRolloutsWithStepsOrBlockedOnly() {
        var plan = Self.plan
        let warning = RolloutFinding(severity: .warning, code: "version-behind-live", message: "m", fix: "f")
        let blocking = RolloutFinding(severity: .blocking, code: "version-skew", message: "m", fix: "f")
        plan.rollouts += [
            RolloutPlan(cluster: Self.cluster, clusterName: "a", fromVersion: "1.31", toVersion: "1.31", steps: [], findings: [warning]),
            RolloutPlan(cluster: Self.cluster, clusterName: "b", fromVersion: "1.29", toVersion: "1.31", steps: [], findings: [blocking]),
        ]
        #expect(plan.runnableRollouts.map(\.clusterName) == ["prod", "b"])
    }

    /// The rollout has no place in Terraform's format: `strata_rollouts`, in the document's snake_case.
    @Test func terraformJSONCarriesTheRolloutUnderItsOwnKey() throws {
        let document = TerraformPlanJSON(strataVersion: "test").document(Self.plan)
        let rollout = try #require(document["strata_rollouts"]?.arrayValue?.first)
        #expect(rollout["hops"] == .array(["1.31"]))
        #expect(rollout["estimate_seconds"] == .int(1650) && rollout["blocked"] == .bool(false))
        #expect(rollout["cluster_name"] == .string("prod") && rollout["from_version"] == .string("1.30"))
        let green = try #require(rollout["steps"]?.arrayValue?.last)
        #expect(green["kind"] == .string("node-pool-blue-green") && green["green_name"] == .string("system-1-31"))
        #expect(green["drain_timeout_seconds"] == .int(900) && green["resuming"] == .bool(true))
        #expect(rollout["findings"]?.arrayValue?.first?["code"] == .string("pdb-blocks-now"))
        #expect(
            TerraformPlanJSON(strataVersion: "test").document(
                Plan(stack: "s", region: "r", stackPath: "/s", changes: [], liveFingerprint: "x"))["strata_rollouts"] == .array([]))
    }

    /// An update keeps what AWS computed (Terraform's `after` starts from the state), at the
    /// top and inside blocks; `before` names unset attributes as the state does.
    @Test func terraformJSONUpdatesKeepTheLiveComputedValues() throws {
        let cluster = ResourceAddress(module: "cluster", type: "aws_eks_cluster", name: "cluster")
        let live: [String: Value] = [
            "name": .string("prod"), "version": .string("1.30"), "arn": .string("arn:aws:eks:us-east-1:1:cluster/prod"),
            "vpc_config": .map([
                "endpoint_public_access": .bool(true), "subnet_ids": .list([.string("subnet-1")]),
                "cluster_security_group_id": .string("sg-1"),
            ]),
        ]
        let plan = Plan(
            stack: "prod", region: "us-east-1", createdAt: Date(timeIntervalSince1970: 1_700_000_000), stackPath: "/s",
            vars: [:],
            changes: [
                ResourceChange(
                    address: cluster, type: "aws_eks_cluster", plane: .control, action: .update, before: live,
                    after: [
                        "name": .string("prod"), "version": .string("1.31"),
                        "vpc_config": .map(["endpoint_public_access": .bool(false), "subnet_ids": .list([.string("subnet-1")])]),
                    ],
                    changedAttributes: ["version", "vpc_config"],
                    live: LiveResource(type: "aws_eks_cluster", address: cluster, id: "prod", attributes: live))
            ],
            liveFingerprint: "abc")
        let document = TerraformPlanJSON(strataVersion: "t").document(plan)
        let change = try #require(document["resource_changes"]?.arrayValue?.first?["change"])
        #expect(change["after"]?["arn"] == .string("arn:aws:eks:us-east-1:1:cluster/prod"))
        #expect(change["after_unknown"]?["arn"] == nil)
        let vpc = try #require(change["after"]?["vpc_config"]?.arrayValue?.first)
        #expect(vpc["endpoint_public_access"] == .bool(false))
        #expect(vpc["cluster_security_group_id"] == .string("sg-1"))
        #expect(change["before"]?["vpc_config"]?.arrayValue?.first?["endpoint_public_access"] == .bool(true))
        #expect(change["before"]?["zonal_shift_config"] == .array([]))
        let prior = try #require(
            document["prior_state"]?["values"]?["root_module"]?["child_modules"]?.arrayValue?.first?["resources"]?.arrayValue?.first)
        #expect(prior["values"]?["version"] == .string("1.30"))
    }

    @Test func planFilesAreOwnerOnlyWithoutSecretsAndRoundTrip() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-planfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("prod.plan")
        try PlanFile.write(Self.plan, to: file)
        let mode = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(!text.contains("hunter2"))
        #expect(text.contains(#""$sensitive""#))
        #expect(PlanFile.looksLikePlan(file))
        // The file holds digests of the --var values; apply gives them again.
        let read = try PlanFile.read(from: file)
        #expect(read.vars.isEmpty && Set(read.varDigests.keys) == Set(Self.plan.vars.keys))
        var back = try read.givenVars(Self.plan.vars)
        back.varDigests = [:]
        var expected = Self.plan
        expected.changes = expected.changes.map { change in
            var change = change
            if change.after?["secret"] != nil { change.after?["secret"] = Value.redacted }
            return change
        }
        #expect(back == expected)

        try Data("{\"formatVersion\": 99}".utf8).write(to: file)
        #expect(throws: PlanError.self) { try PlanFile.read(from: file) }
    }

    /// A plan file is replaced whole or not at all: the new one is written beside it and renamed
    /// over it, so a run that dies half-way never leaves half a plan; a write that fails leaves
    /// what was there and no partial file behind.
    @Test func planFilesAreReplacedWholeOrNotAtAll() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-planfile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("prod.plan")
        try Data("an older plan".utf8).write(to: file)
        try PlanFile.write(Self.plan, to: file)
        #expect(try PlanFile.read(from: file).changes.count == Self.plan.changes.count)
        #expect((try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["prod.plan"])

        // The target is a folder that is not empty: the rename fails, the folder stays as it was.
        let occupied = folder.appendingPathComponent("occupied.plan")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: occupied.appendingPathComponent("keep"))
        #expect(throws: PlanError.self) { try PlanFile.write(Self.plan, to: occupied) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: occupied.path) == ["keep"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["occupied.plan", "prod.plan"])
    }
}

extension PlanOutputTests {
    @Test func tagLinesReadAsTheEditTheyUndo() {
        let all: [String: Value] = [
            "Name": .string("hand"), "owner": .string("bob"), "team": .string("platform"),
            "strata:stack": .string("s"), "strata:address": .string("aws_vpc.vpc"),
        ]
        let change = ResourceChange(
            address: ResourceAddress(module: nil, type: "aws_vpc", name: "vpc"), type: "aws_vpc", plane: .network,
            action: .update, before: ["tags": .map(all), "tags_all": .map(all)],
            after: [
                "tags": .map(["Name": .string("x")]),
                "tags_all": .map([
                    "Name": .string("x"), "team": .string("platform"), "strata:stack": .string("s"),
                    "strata:address": .string("aws_vpc.vpc"),
                ]),
            ],
            changedAttributes: ["tags", "tags_all"])
        let text = PlanRenderer(colour: false).block(change)
        #expect(text.contains(#"~ tags     = { "Name" = "hand", "owner" = "bob" } -> { "Name" = "x" }"#))
    }
}
