import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// `strata plan --json` read by Checkov as a Terraform plan (`checkov -f plan.json --framework
/// terraform_plan`), on a copy of stacks/prod planned against the sandbox (nothing applied: 97
/// creates). Checkov 3.3.30 is pinned in Tests/checkov/requirements.txt and installed by
/// `make deps` into .venv-checkov. The expected findings below were reviewed one by one, and are
/// the findings Checkov gives on the Terraform plan of the equivalent Terraform configuration
/// (benchmarks/terraform; PlanCheckovTerraformTests compares the two).
@Suite struct PlanCheckovTests {
    /// The eight failures Checkov reports on prod, each a real property of the stack:
    static let expectedFailures: Set<Finding> = [
        // The API server endpoint is public (restricted to 203.0.113.0/24, which CKV_AWS_38 accepts).
        Finding("CKV_AWS_39", "module.cluster.aws_eks_cluster.cluster", .failed),
        // api, audit and authenticator logs only; Checkov wants controllerManager and scheduler too.
        Finding("CKV_AWS_37", "module.cluster.aws_eks_cluster.cluster", .failed),
        // The control-plane log group has no kms_key_id.
        Finding("CKV_AWS_158", "module.cluster.aws_cloudwatch_log_group.control_plane_logs", .failed),
        // The secrets key has no explicit key policy (the account's default applies).
        Finding("CKV2_AWS_64", "module.cluster.aws_kms_key.secrets_key", .failed),
        // IMDS hop limit 2: pods on the nodes need it; Checkov wants 1.
        Finding("CKV_AWS_341", "module.cluster.aws_launch_template.node_template[\"system\"]", .failed),
        // external-dns lists hosted zones on Resource "*", as Route 53 requires.
        Finding("CKV_AWS_355", "module.external_dns.aws_iam_policy.policy[0]", .failed),
        // No flow log, and the VPC's default security group is left as AWS creates it.
        Finding("CKV2_AWS_11", "module.network.aws_vpc.vpc", .failed),
        Finding("CKV2_AWS_12", "module.network.aws_vpc.vpc", .failed),
    ]

    /// Passes that read values strata computed or wrote in Terraform's shapes.
    static let expectedPasses: Set<Finding> = [
        // vpc_config[0]: public access only from 203.0.113.0/24.
        Finding("CKV_AWS_38", "module.cluster.aws_eks_cluster.cluster", .passed),
        // encryption_config[0].resources = ["secrets"].
        Finding("CKV_AWS_58", "module.cluster.aws_eks_cluster.cluster", .passed),
        Finding("CKV_AWS_339", "module.cluster.aws_eks_cluster.cluster", .passed),
        // remote_access = [] (no SSH).
        Finding("CKV_AWS_100", "module.cluster.aws_eks_node_group.nodes[\"system\"]", .passed),
        // KMS: rotation on, enabled, no wildcard principal.
        Finding("CKV_AWS_7", "module.cluster.aws_kms_key.secrets_key", .passed),
        Finding("CKV_AWS_227", "module.cluster.aws_kms_key.secrets_key", .passed),
        Finding("CKV_AWS_33", "module.cluster.aws_kms_key.secrets_key", .passed),
        // Logs kept 365 days.
        Finding("CKV_AWS_66", "module.cluster.aws_cloudwatch_log_group.control_plane_logs", .passed),
        Finding("CKV_AWS_338", "module.cluster.aws_cloudwatch_log_group.control_plane_logs", .passed),
        // Launch template: IMDSv2 required, no public IP, no secrets in user data.
        Finding("CKV_AWS_79", "module.cluster.aws_launch_template.node_template[\"system\"]", .passed),
        Finding("CKV_AWS_88", "module.cluster.aws_launch_template.node_template[\"system\"]", .passed),
        Finding("CKV_AWS_46", "module.cluster.aws_launch_template.node_template[\"system\"]", .passed),
        // SQS: SSE on (sqs_managed_sse_enabled), queue policy not public.
        Finding("CKV_AWS_27", "module.karpenter.aws_sqs_queue.interruptions", .passed),
        Finding("CKV2_AWS_73", "module.karpenter.aws_sqs_queue.interruptions", .passed),
        Finding("CKV_AWS_168", "module.karpenter.aws_sqs_queue.interruptions", .passed),
        Finding("CKV_AWS_72", "module.karpenter.aws_sqs_queue_policy.interruptions_policy", .passed),
        Finding("CKV_AWS_387", "module.karpenter.aws_sqs_queue_policy.interruptions_policy", .passed),
        // external-dns's policy (a constant document): no privilege escalation, no "*" action.
        Finding("CKV_AWS_286", "module.external_dns.aws_iam_policy.policy[0]", .passed),
        Finding("CKV_AWS_287", "module.external_dns.aws_iam_policy.policy[0]", .passed),
        Finding("CKV_AWS_288", "module.external_dns.aws_iam_policy.policy[0]", .passed),
        Finding("CKV_AWS_289", "module.external_dns.aws_iam_policy.policy[0]", .passed),
        Finding("CKV_AWS_290", "module.external_dns.aws_iam_policy.policy[0]", .passed),
        Finding("CKV_AWS_63", "module.external_dns.aws_iam_policy.policy[0]", .passed),
        Finding("CKV2_AWS_40", "module.external_dns.aws_iam_policy.policy[0]", .passed),
        // Connection checks: they follow `configuration` references (a group used by the cluster,
        // the rules and the launch template; an EIP used by a NAT gateway).
        Finding("CKV2_AWS_5", "module.cluster.aws_security_group.cluster_sg", .passed),
        Finding("CKV2_AWS_5", "module.cluster.aws_security_group.node_sg", .passed),
        Finding("CKV2_AWS_19", "module.network.aws_eip.nat_ip[0]", .passed),
        Finding("CKV2_AWS_19", "module.network.aws_eip.nat_ip[1]", .passed),
        Finding("CKV2_AWS_19", "module.network.aws_eip.nat_ip[2]", .passed),
    ]

    /// Checks that apply to every resource of a type: each one of the plan must pass.
    static let passesByType: [String: [String]] = [
        "aws_subnet": ["CKV_AWS_130"],  // no public IP by default (map_public_ip_on_launch false)
        "aws_security_group": ["CKV_AWS_23", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277", "CKV_AWS_382"],
        // cidr_ipv4 is null on rules between groups: no rule opens 22, 3389, 80 or all ports to 0.0.0.0/0.
        "aws_vpc_security_group_ingress_rule": ["CKV_AWS_23", "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277"],
        "aws_vpc_security_group_egress_rule": ["CKV_AWS_23", "CKV_AWS_382"],
        "aws_iam_role": ["CKV_AWS_60", "CKV_AWS_274", "CKV_AWS_393", "CKV2_AWS_56"],
        "aws_iam_role_policy_attachment": ["CKV_AWS_274"],
        "aws_route_table": ["CKV2_AWS_35", "CKV2_AWS_44"],
        "aws_route": ["CKV2_AWS_35", "CKV2_AWS_44"],
    ]

    @Test(.timeLimit(.minutes(10))) func prodPlanGivesTheReviewedFindings() async throws {
        let checkov = try Self.checkov()
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "prod")
        defer { copy.remove() }
        let (plan, file) = try await Self.plan(copy, sandbox)

        let changes = try #require(plan["resource_changes"]?.arrayValue)
        let addresses = Set(changes.compactMap { $0["address"]?.stringValue })
        let types = changes.compactMap { $0["type"]?.stringValue }
        #expect(changes.count == 97 && addresses.count == 97)
        #expect(types.filter { $0.hasPrefix("aws_") }.count == 95)
        #expect(types.filter { $0 == "kubernetes_manifest" }.count == 2)
        #expect(changes.allSatisfy { $0["change"]?["actions"] == .array(["create"]) })

        // The configuration's references are what Terraform writes for the same expressions in
        // benchmarks/terraform (module-local, module inputs as var.*, count.index after the block).
        func expressions(_ module: String, _ address: String) throws -> JSONValue {
            let resources = try #require(
                plan["configuration"]?["root_module"]?["module_calls"]?[module]?["module"]?["resources"]?.arrayValue)
            return try #require(resources.first { $0["address"] == .string(address) }?["expressions"], "no \(address) in module.\(module)")
        }
        let eks = try expressions("cluster", "aws_eks_cluster.cluster")
        #expect(eks["role_arn"]?["references"] == .array(["aws_iam_role.cluster_role.arn", "aws_iam_role.cluster_role"]))
        #expect(
            eks["encryption_config"]?.arrayValue?.first?["provider"]?.arrayValue?.first?["key_arn"]?["references"]
                == .array(["aws_kms_key.secrets_key.arn", "aws_kms_key.secrets_key"]))
        // Block fields written as literals carry their own (and a literal stays a constant).
        let vpcConfig = try #require(eks["vpc_config"]?.arrayValue?.first)
        #expect(vpcConfig["endpoint_public_access"]?["references"] == .array(["var.public_endpoint"]))
        #expect(vpcConfig["endpoint_private_access"] == .object(["constant_value": .bool(true)]))
        #expect(
            vpcConfig["security_group_ids"]?["references"] == .array(["aws_security_group.cluster_sg.id", "aws_security_group.cluster_sg"]))
        #expect(try expressions("network", "aws_subnet.private")["vpc_id"]?["references"] == .array(["aws_vpc.vpc.id", "aws_vpc.vpc"]))
        #expect(
            try expressions("network", "aws_nat_gateway.nat")["allocation_id"]?["references"] == .array(["aws_eip.nat_ip", "count.index"]))
        #expect(try expressions("cluster", "aws_eks_node_group.nodes")["subnet_ids"]?["references"] == .array(["var.subnets"]))
        #expect(
            try expressions("cluster", "aws_launch_template.node_template")["vpc_security_group_ids"]?["references"]
                == .array(["aws_security_group.node_sg.id", "aws_security_group.node_sg"]))

        let report = try await Self.run(checkov, on: file)
        // Every resource parsed, the two kubernetes_manifest included (Checkov has no check for
        // that type: its Kubernetes checks read kubernetes_* resources of other types).
        #expect(report.parsingErrors == 0)
        #expect(report.resourceCount == 97, "Checkov parsed \(report.resourceCount) of the plan's 97 resources")
        let checked = Set(report.findings.map(\.resource)).subtracting(["aws.default"])
        #expect(checked.isSubset(of: addresses), "findings on addresses the plan lacks: \(checked.subtracting(addresses))")
        #expect(!checked.contains { $0.contains("kubernetes_manifest") })

        let failures = report.findings.filter { $0.result == .failed }
        #expect(
            failures == Self.expectedFailures,
            "unexpected: \(failures.subtracting(Self.expectedFailures).sorted()), missing: \(Self.expectedFailures.subtracting(failures).sorted())"
        )
        let missing = Self.expectedPasses.subtracting(report.findings)
        #expect(missing.isEmpty, "expected passes missing: \(missing.sorted())")
        for (type, checks) in Self.passesByType {
            let instances = changes.filter { $0["type"]?.stringValue == type }.compactMap { $0["address"]?.stringValue }
            #expect(!instances.isEmpty, "prod has no \(type)")
            for check in checks {
                let expected = Set(instances.map { Finding(check, $0, .passed) })
                let absent = expected.subtracting(report.findings)
                #expect(absent.isEmpty, "\(check) did not pass on: \(absent.map(\.resource).sorted())")
            }
        }
    }

    /// The findings follow the values: the same stack with its endpoint open to the world fails
    /// CKV_AWS_38, with its endpoint private passes CKV_AWS_39; and the connection checks pass
    /// because of strata's `configuration` references (without them the same plan fails them).
    @Test(.timeLimit(.minutes(10))) func findingsFollowTheValues() async throws {
        let checkov = try Self.checkov()
        let sandbox = try await Sandbox.shared()
        let open = try StackCopy(of: "prod")
        defer { open.remove() }
        try open.edit { $0.replacingOccurrences(of: "public_access_cidrs: [203.0.113.0/24]", with: "public_access_cidrs: [0.0.0.0/0]") }
        let closed = try StackCopy(of: "prod")
        defer { closed.remove() }
        try closed.edit {
            $0.replacingOccurrences(
                of: "      public_access_cidrs: [203.0.113.0/24]\n",
                with: "      public_access_cidrs: [203.0.113.0/24]\n      public_endpoint: false\n")
        }
        async let openPlan = Self.plan(open, sandbox)
        async let closedPlan = Self.plan(closed, sandbox)
        let (openFile, closedFile) = try await (openPlan.file, closedPlan.file)

        // The plan without its configuration: only planned values, no references.
        var bare = try JSONValue.parse(Data(contentsOf: closedFile))
        if case .object(var document) = bare, case .object(var configuration)? = document["configuration"] {
            configuration["root_module"] = .object([:])
            document["configuration"] = .object(configuration)
            bare = .object(document)
        }
        let bareFile = closed.root.appendingPathComponent("bare-plan.json")
        try bare.encoded().write(to: bareFile)

        async let openReport = Self.run(checkov, on: openFile)
        async let closedReport = Self.run(checkov, on: closedFile)
        async let bareReport = Self.run(checkov, on: bareFile)
        let (opened, private_, bareFindings) = try await (openReport.findings, closedReport.findings, bareReport.findings)
        let cluster = "module.cluster.aws_eks_cluster.cluster"
        #expect(opened.contains(Finding("CKV_AWS_38", cluster, .failed)))
        #expect(opened.contains(Finding("CKV_AWS_39", cluster, .failed)))
        #expect(private_.contains(Finding("CKV_AWS_39", cluster, .passed)))
        #expect(private_.contains(Finding("CKV_AWS_38", cluster, .passed)))

        for group in ["cluster_sg", "node_sg"] {
            #expect(private_.contains(Finding("CKV2_AWS_5", "module.cluster.aws_security_group.\(group)", .passed)))
            #expect(bareFindings.contains(Finding("CKV2_AWS_5", "module.cluster.aws_security_group.\(group)", .failed)))
        }
        for index in 0..<3 {
            #expect(private_.contains(Finding("CKV2_AWS_19", "module.network.aws_eip.nat_ip[\(index)]", .passed)))
            #expect(bareFindings.contains(Finding("CKV2_AWS_19", "module.network.aws_eip.nat_ip[\(index)]", .failed)))
        }
    }
}

// MARK: - Running strata and Checkov

extension PlanCheckovTests {
    /// One Checkov result.
    struct Finding: Hashable, Comparable, CustomStringConvertible, Sendable {
        enum Result: String, Sendable { case passed = "PASSED", failed = "FAILED" }
        var check: String
        var resource: String
        var result: Result

        init(_ check: String, _ resource: String, _ result: Result) {
            self.check = check
            self.resource = resource
            self.result = result
        }

        var description: String { "\(check) \(resource) \(result.rawValue)" }
        static func < (lhs: Finding, rhs: Finding) -> Bool { lhs.description < rhs.description }
    }

    struct Report: Sendable {
        var findings: Set<Finding>
        var resourceCount: Int
        var parsingErrors: Int
    }

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The venv's checkov; a missing one fails the test, saying how to install it.
    static func checkov() throws -> URL {
        let url = repository.appendingPathComponent(".venv-checkov/bin/checkov")
        try #require(
            FileManager.default.isExecutableFile(atPath: url.path),
            "Checkov is not installed at \(url.path): run `make deps` (it installs Tests/checkov/requirements.txt into .venv-checkov)")
        return url
    }

    /// `strata plan COPY --json`, parsed and written next to the copy.
    static func plan(_ copy: StackCopy, _ sandbox: Sandbox) async throws -> (document: JSONValue, file: URL) {
        let result = try await StrataBinary.run(["plan", copy.path, "--json"], environment: copy.environment(sandbox))
        try #require(result.status == 0, "strata plan --json failed: \(result.stderr)")
        let file = copy.root.appendingPathComponent("plan.json")
        try Data(result.stdout.utf8).write(to: file)
        return (try JSONValue.parse(Data(result.stdout.utf8)), file)
    }

    /// Checkov's JSON report on a plan file. `--soft-fail` makes failed checks exit 0, so any
    /// other status is Checkov failing; `--skip-download` keeps it off the network.
    static func run(_ checkov: URL, on file: URL) async throws -> Report {
        let arguments = ["-f", file.path, "--framework", "terraform_plan", "-o", "json", "--soft-fail", "--skip-download"]
        let output = try await StrataBinary.runToEnd(checkov, arguments)
        try #require(output.status == 0, "checkov exited \(output.status): \(String(decoding: output.stderr, as: UTF8.self).suffix(2000))")
        let report = try JSONValue.parse(output.stdout)
        let summary = try #require(
            report["summary"], "no summary in Checkov's report: \(String(decoding: output.stdout.prefix(500), as: UTF8.self))")
        var findings = Set<Finding>()
        for (key, result) in [("passed_checks", Finding.Result.passed), ("failed_checks", .failed)] {
            for item in report["results"]?[key]?.arrayValue ?? [] {
                guard let check = item["check_id"]?.stringValue, let resource = item["resource"]?.stringValue else { continue }
                findings.insert(Finding(check, resource, result))
            }
        }
        return Report(
            findings: findings, resourceCount: Int(summary["resource_count"]?.intValue ?? -1),
            parsingErrors: Int(summary["parsing_errors"]?.intValue ?? -1))
    }
}

extension StackCopy {
    /// Rewrites the copy's stack.yaml; a replacement that changes nothing is an error, so a
    /// variant can never silently test the original.
    func edit(_ change: (String) -> String) throws {
        let file = URL(fileURLWithPath: path).appendingPathComponent("stack.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let edited = change(text)
        try #require(edited != text, "the edit changed nothing in \(file.path)")
        try edited.write(to: file, atomically: true, encoding: .utf8)
    }
}
