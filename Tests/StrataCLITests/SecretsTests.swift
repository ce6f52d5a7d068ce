import AWSClient
import Foundation
import StrataModel
import StrataTestSupport
import Testing

/// A secret given with `--var` to a variable declared `sensitive: true` reaches AWS and nothing
/// else: not the human plan, the plan JSON, the plan file, the graph, the events file, apply's
/// output or `strata output` (unless that output is asked for by name). The built binary
/// against the sandbox.
@Suite struct SecretsTests {
    static let secret = "s3cr3t-MARKER-1234"

    /// The forms of the secret the stack derives; none may show anywhere.
    static let forms = [secret, secret.uppercased(), "pre-\(secret)"]

    static func stack(_ name: String) -> String {
        """
        stack: \(name)
        region: us-east-1
        vars:
          db_password: { type: string, sensitive: true }
        resources:
          vpc:
            type: aws_vpc
            cidr_block: 10.64.0.0/16
            tags:
              token: ${upper(format("pre-%s", vars.db_password))}
              team: platform
        outputs:
          vpc_id: ${vpc.id}
          token: { value: "${vpc.tags.token}", sensitive: true }

        """
    }

    static func leaks(_ text: String) -> [String] { forms.filter { text.contains($0) } }

    @Test(.timeLimit(.minutes(5))) func aSensitiveVariableReachesAWSAndNoPlanFileEventOrOutput() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { Self.stack($0) })
        defer { copy.remove() }
        let env = copy.environment(sandbox)
        let given = ["--var", "db_password=\(Self.secret)"]
        func run(_ arguments: [String]) async throws -> StrataBinary.Result {
            try await StrataBinary.run(arguments, environment: env)
        }
        let planFile = copy.root.appendingPathComponent("saved.plan")
        let events = copy.root.appendingPathComponent("events.jsonl")

        let plan = try await run(["plan", copy.path, "--out", planFile.path] + given)
        #expect(plan.status == 0, "\(plan.stdout)\n\(plan.stderr)")
        #expect(Self.leaks(plan.stdout + plan.stderr).isEmpty, "the human plan shows the secret:\n\(plan.stdout)")
        #expect(plan.stdout.contains("tags") && plan.stdout.contains("(sensitive value)"), "\(plan.stdout)")
        let saved = try Data(contentsOf: planFile)
        #expect(Self.leaks(String(decoding: saved, as: UTF8.self)).isEmpty, "the plan file holds the secret")

        let json = try await run(["plan", copy.path, "--json"] + given)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(Self.leaks(json.stdout + json.stderr).isEmpty, "the plan JSON holds the secret")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let change = try #require((document["resource_changes"] as? [[String: Any]])?.first?["change"] as? [String: Any])
        // Marked by path, as Terraform marks a value inside a map: the token tag, not the team one.
        for name in ["tags", "tags_all"] {
            let marks = (change["after_sensitive"] as? [String: Any])?[name] as? [String: Any]
            #expect(marks?["token"] as? Bool == true && marks?["team"] == nil, "\(name): \(String(describing: marks))")
        }
        #expect(plan.stdout.contains("\"team\" = \"platform\""), "\(plan.stdout)")
        let outputs = try #require((document["planned_values"] as? [String: Any])?["outputs"] as? [String: Any])
        #expect((outputs["token"] as? [String: Any])?["sensitive"] as? Bool == true)
        #expect((outputs["vpc_id"] as? [String: Any])?["sensitive"] as? Bool == false)
        let variable = (document["variables"] as? [String: Any])?["db_password"] as? [String: Any]
        #expect(variable?["sensitive"] as? Bool == true)

        let graph = try await run(["graph", copy.path, "--format", "json"] + given)
        #expect(graph.status == 0 && Self.leaks(graph.stdout).isEmpty, "the graph holds the secret")

        // The plan file keeps no --var value: apply is given it again, and the same one.
        let without = try await run(["apply", planFile.path])
        #expect(without.status == 1 && without.stderr.contains("--var db_password"), "\(without.stdout)\n\(without.stderr)")
        let wrong = try await run(["apply", planFile.path, "--var", "db_password=other"])
        #expect(wrong.status == 1 && wrong.stderr.contains("--var db_password"), "\(wrong.stderr)")
        #expect(try await StackCensus.take(sandbox.client(), stack: copy.stack).isEmpty, "a refused apply created something")

        let apply = try await run(["apply", planFile.path, "--events", events.path] + given)
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
        #expect(Self.leaks(apply.stdout + apply.stderr).isEmpty, "apply printed the secret")
        #expect(Self.leaks(try String(contentsOf: events, encoding: .utf8)).isEmpty, "the events hold the secret")

        // What a user cares about: AWS got the real value.
        let tagged = try await sandbox.client().query(
            .ec2, action: "DescribeVpcs",
            parameters: [
                ("Filter.1.Name", "tag:strata:stack"), ("Filter.1.Value.1", copy.stack),
                ("Filter.2.Name", "tag:token"), ("Filter.2.Value.1", "PRE-\(Self.secret.uppercased())"),
            ])
        let vpcs = tagged.children.first { $0.name == "vpcSet" }?.items ?? []
        #expect(vpcs.count == 1, "the VPC does not carry the secret's tag")

        let listed = try await run(["output", copy.path] + given)
        #expect(listed.status == 0 && Self.leaks(listed.stdout).isEmpty, "\(listed.stdout)\n\(listed.stderr)")
        #expect(listed.stdout.contains("token = <sensitive>") && listed.stdout.contains("vpc_id = \"vpc-"), "\(listed.stdout)")
        let listedJSON = try await run(["output", copy.path, "--json"] + given)
        #expect(listedJSON.status == 0 && Self.leaks(listedJSON.stdout).isEmpty, "\(listedJSON.stdout)")
        // Asked for by name, it is printed, as `terraform output NAME` does.
        let named = try await run(["output", copy.path, "token"] + given)
        #expect(named.status == 0 && named.stdout == "\"PRE-\(Self.secret.uppercased())\"\n", "\(named.stdout)\n\(named.stderr)")

        let settled = try await run(["plan", copy.path, "--detailed-exitcode"] + given)
        #expect(settled.status == 0 && Self.leaks(settled.stdout).isEmpty, "\(settled.stdout)\n\(settled.stderr)")
        let destroy = try await run(["destroy", copy.path, "--auto-approve"] + given)
        #expect(destroy.status == 0 && Self.leaks(destroy.stdout + destroy.stderr).isEmpty, "\(destroy.stdout)\n\(destroy.stderr)")
    }

    /// A Secret's `stringData` is applied to the cluster, and neither it nor the `data` the cluster
    /// stores (base64) shows in the plan JSON's `before` and `prior_state` or in a plan file
    /// once the Secret is read back.
    @Test(.timeLimit(.minutes(10))) func aKubernetesSecretIsHiddenWhenPlannedAndWhenReadBack() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { name in
            ManifestDiscoveryTests.stack(name, manifest: false).replacingOccurrences(
                of: "region: us-east-1\n", with: "region: us-east-1\nvars:\n  db_password: { type: string, sensitive: true }\n")
                    + """
                      db:
                        type: kubernetes_manifest
                        cluster: ${cluster.name}
                        manifest:
                          apiVersion: v1
                          kind: Secret
                          metadata: { name: db, namespace: default }
                          stringData: { password: "${vars.db_password}" }

                    """
        })
        defer { copy.remove() }
        let env = copy.environment(sandbox)
        let given = ["--var", "db_password=\(Self.secret)"]
        let encoded = Data(Self.secret.utf8).base64EncodedString()
        func run(_ arguments: [String]) async throws -> StrataBinary.Result {
            try await StrataBinary.run(arguments + [copy.path] + given, environment: env)
        }
        func hidden(_ text: String) -> Bool { !text.contains(Self.secret) && !text.contains(encoded) }

        let created = try await run(["plan", "--json"])
        #expect(created.status == 0 && hidden(created.stdout), "\(created.stderr)")
        let apply = try await run(["apply", "--auto-approve"])
        #expect(apply.status == 0, "\(apply.stdout)\n\(apply.stderr)")
        #expect(hidden(apply.stdout + apply.stderr), "apply printed the Secret:\n\(apply.stdout)")
        #expect(
            apply.stdout.contains("\"stringData\" = (sensitive value)") && apply.stdout.contains("\"name\" = \"db\""), "\(apply.stdout)")

        // Read back from the cluster: before and prior_state hold what the cluster stores.
        let planFile = copy.root.appendingPathComponent("after.plan")
        let readBack = try await run(["plan", "--json", "--out", planFile.path])
        #expect(readBack.status == 0, "\(readBack.stderr)")
        #expect(hidden(readBack.stdout), "the plan JSON shows the Secret read back")
        let document = try JSONSerialization.jsonObject(with: Data(readBack.stdout.utf8)) as? [String: Any]
        let db = (document?["resource_changes"] as? [[String: Any]])?.first { $0["address"] as? String == "kubernetes_manifest.db" }
        let before = (db?["change"] as? [String: Any])?["before_sensitive"] as? [String: Any]
        // The object read back from the cluster (`data`, or `stringData` as the sandbox keeps it) is
        // marked and left out, and so is what strata applied of it; its metadata is not.
        let object = before?["object"] as? [String: Any]
        #expect((object?["data"] ?? object?["stringData"]) as? Bool == true, "\(String(describing: before))")
        let manifest = before?["manifest"] as? [String: Any]
        #expect(manifest?["stringData"] != nil && manifest?["metadata"] == nil, "\(String(describing: before))")
        #expect(hidden(String(decoding: try Data(contentsOf: planFile), as: UTF8.self)), "the plan file holds the Secret")
        let human = try await run(["plan"])
        #expect(human.status == 0 && hidden(human.stdout), "\(human.stdout)\n\(human.stderr)")

        let destroy = try await run(["destroy", "--auto-approve"])
        #expect(destroy.status == 0 && hidden(destroy.stdout + destroy.stderr), "\(destroy.stdout)\n\(destroy.stderr)")
    }

    /// AWS refuses an OpenID Connect client id over 255 characters and quotes the list in its
    /// error: the secret in it is taken out of the event and of apply's report, which keep the
    /// error code. (A tag value over 256 is refused before AWS now, at compile time.)
    @Test(.timeLimit(.minutes(5))) func anAWSErrorQuotingASecretIsReportedWithoutIt() async throws {
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(writing: { name in
            """
            stack: \(name)
            region: us-east-1
            vars:
              db_password: { type: string, sensitive: true }
            resources:
              oidc:
                type: aws_iam_openid_connect_provider
                url: https://\(name).oidc.example.com
                client_id_list: ["${vars.db_password}\(String(repeating: "x", count: 300))"]
                thumbprint_list: ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]

            """
        })
        defer { copy.remove() }
        let events = copy.root.appendingPathComponent("events.jsonl")
        let apply = try await StrataBinary.run(
            ["apply", copy.path, "--auto-approve", "--events", events.path, "--var", "db_password=\(Self.secret)"],
            environment: copy.environment(sandbox))
        #expect(apply.status == 1, "\(apply.stdout)\n\(apply.stderr)")
        let everything = apply.stdout + apply.stderr + (try String(contentsOf: events, encoding: .utf8))
        #expect(Self.leaks(everything).isEmpty, "the AWS error carried the secret out:\n\(apply.stdout)\n\(apply.stderr)")
        #expect(everything.contains("ValidationError") && everything.contains("(sensitive value)"), "\(apply.stdout)\n\(apply.stderr)")
    }
}
