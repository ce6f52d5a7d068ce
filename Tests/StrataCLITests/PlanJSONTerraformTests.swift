import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

/// strata's plan JSON against Terraform's, value by value, for a stack written in the inline
/// forms Terraform users write (Tests/terraform-inline: inline routes and security-group rules
/// with list fields left out, a launch template's block lists, a queue policy inline) and its
/// Terraform twin, both planned against the sandbox: every attribute the catalog knows must be
/// written as `terraform show -json` writes it (`after`, `after_unknown`, `after_sensitive`),
/// and Checkov must find the same on both. A policy gate reading `[]` where Terraform writes
/// `[]` is the point: with `null` there, Checkov passed open egress and SSH from anywhere.
@Suite struct PlanJSONTerraformTests {
    /// Lists of blocks both tools keep as sets: compared whatever the order of their elements.
    static let sets: Set<String> = ["route", "ingress", "egress"]

    /// Where strata writes on purpose what Terraform does not, by `type.attribute` and side of
    /// the change, with the reason. A listed difference that no longer occurs fails the test,
    /// so the list cannot outlive its reasons.
    static let deviations: [String: String] = [
        "aws_sqs_queue.max_message_size after":
            "SQS raised its default to 1 MiB; the provider 5.100 still plans its old 256 KiB default",
        "aws_subnet.map_customer_owned_ip_on_launch after":
            "AWS reports false when unset; strata plans the server default",
        "aws_subnet.private_dns_hostname_type_on_launch after":
            "AWS reports ip-name when unset; Terraform leaves it unknown",
        "aws_subnet.private_dns_hostname_type_on_launch after_unknown": "(the same)",
        "aws_vpc.assign_generated_ipv6_cidr_block after":
            "AWS reports false when unset; strata plans the server default",
        "aws_vpc.enable_network_address_usage_metrics after":
            "AWS reports false when unset; Terraform leaves it unknown",
        "aws_vpc.enable_network_address_usage_metrics after_unknown": "(the same)",
    ]

    @Test(
        .enabled(if: PlanCheckovTerraformTests.terraformInstalled, "needs terraform and the AWS provider offline"),
        .timeLimit(.minutes(10)))
    func theInlineFormsPlanAsTerraformPlansThem() async throws {
        let sandbox = try await Sandbox.shared()
        let source = PlanCheckovTests.repository.appendingPathComponent("Tests/terraform-inline/stack.yaml")
        let text = try String(contentsOf: source, encoding: .utf8)
        let copy = try StackCopy(writing: { text.replacingOccurrences(of: "\nstack: inline\n", with: "\nstack: \($0)\n") })
        defer { copy.remove() }
        let written = try String(contentsOf: URL(fileURLWithPath: copy.path).appendingPathComponent("stack.yaml"), encoding: .utf8)
        try #require(written.contains("\nstack: \(copy.stack)\n"), "the stack name was not replaced")
        let (_, strataFile) = try await PlanCheckovTests.plan(copy, sandbox)
        let terraformFile = try await PlanCheckovTerraformTests.terraformPlan(
            of: "Tests/terraform-inline", at: "", sandbox, in: copy.root)

        let ours = try Self.changes(JSONValue.parse(Data(contentsOf: strataFile)))
        let theirs = try Self.changes(JSONValue.parse(Data(contentsOf: terraformFile)))
        #expect(ours.keys.sorted() == theirs.keys.sorted())
        var differences: [String: String] = [:]
        for address in theirs.keys.sorted() {
            guard let mine = ours[address], let other = theirs[address], let type = mine["type"]?.stringValue,
                let schema = ResourceCatalog.all[type]
            else { continue }
            for side in ["after", "after_unknown", "after_sensitive"] {
                Self.compare(
                    mine["change"]?[side], other["change"]?[side], fields: schema.attributes, path: type, side: side
                ) { path, a, b in
                    differences["\(path) \(side)"] =
                        "strata \(a.map { String(decoding: $0.encoded(), as: UTF8.self) } ?? "absent"), terraform \(b.map { String(decoding: $0.encoded(), as: UTF8.self) } ?? "absent") (\(address))"
                }
            }
        }
        let unexplained = differences.filter { Self.deviations[$0.key] == nil }
        let listing = unexplained.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "\n")
        #expect(unexplained.isEmpty, "plan JSON differs from Terraform's:\n\(listing)")
        let gone = Set(Self.deviations.keys).subtracting(differences.keys)
        #expect(gone.isEmpty, "listed deviations that no longer occur (remove them): \(gone.sorted())")

        let checkov = try PlanCheckovTests.checkov()
        async let strataReport = PlanCheckovTests.run(checkov, on: strataFile)
        async let terraformReport = PlanCheckovTests.run(checkov, on: terraformFile)
        let (strata, terraform) = try await (strataReport, terraformReport)
        #expect(strata.parsingErrors == 0 && terraform.parsingErrors == 0)
        #expect(
            strata.findings == terraform.findings,
            "only on strata's plan: \(strata.findings.subtracting(terraform.findings).sorted()); only on Terraform's: \(terraform.findings.subtracting(strata.findings).sorted())"
        )
        // The rules the null lists used to hide: SSH from anywhere and open egress fail on both.
        for check in ["CKV_AWS_24", "CKV_AWS_382"] {
            #expect(
                strata.findings.contains(.init(check, "aws_security_group.web", .failed)),
                "\(check) does not fail on strata's plan")
        }
    }

    /// `resource_changes` by address.
    static func changes(_ plan: JSONValue) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for change in plan["resource_changes"]?.arrayValue ?? [] {
            if let address = change["address"]?.stringValue { out[address] = change }
        }
        return out
    }

    /// Reports each path under `fields` (the catalog's: attributes Terraform has and strata does
    /// not are not strata's to write) where the two sides differ. strata's own ownership tags in
    /// `tags_all` are its state, with no Terraform counterpart, and are left out.
    static func compare(
        _ ours: JSONValue?, _ theirs: JSONValue?, fields: [String: AttributeSchema], path: String, side: String,
        report: (String, JSONValue?, JSONValue?) -> Void
    ) {
        guard case .object(let mine)? = ours, case .object(let other)? = theirs else {
            if ours != theirs { report(path, ours, theirs) }
            return
        }
        for (name, field) in fields {
            var a = mine[name], b = other[name]
            if name == "tags_all", case .object(let tags)? = a {
                a = .object(tags.filter { !$0.key.hasPrefix("strata:") })
            }
            let inner: [String: AttributeSchema]? =
                switch field.type {
                case .object(let inner), .list(.object(let inner)): inner
                default: nil
                }
            guard let inner, case .array(var left)? = a, case .array(var right)? = b, left.count == right.count else {
                if a != b { report("\(path).\(name)", a, b) }
                continue
            }
            if sets.contains(name) {
                left.sort { $0.encoded().lexicographicallyPrecedes($1.encoded()) }
                right.sort { $0.encoded().lexicographicallyPrecedes($1.encoded()) }
            }
            for (x, y) in zip(left, right) {
                compare(x, y, fields: inner, path: "\(path).\(name)", side: side, report: report)
            }
        }
    }
}
