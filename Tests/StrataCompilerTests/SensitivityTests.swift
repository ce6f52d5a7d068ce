import Foundation
import StrataModel
import StrataProviders
import StrataSyntax
import Testing

@testable import StrataCompiler

/// Sensitivity follows values as Terraform's marks do: what is computed from a sensitive
/// variable, input, output or attribute is sensitive, whatever the expression (interpolation,
/// functions, conditionals, `for`, indexing, modules), and the compiler's own output (the graph
/// JSON) never holds it.
@Suite struct SensitivityTests {
    static let marker = "s3cr3t-MARKER-1234"

    static let module = """
        inputs:
          token: { type: string }
          label: { type: string }
        resources:
          queue:
            type: aws_sqs_queue
            name: ${inputs.label}
            tags: { token: "${inputs.token}" }
        outputs:
          token_tag: { value: "${queue.tags.token}", sensitive: true }
          name: ${queue.name}
        """

    static let stack = """
        stack: s
        region: us-east-1
        vars:
          password: { type: string, sensitive: true }
          plain: { type: string, default: open }
        modules:
          inner:
            source: modules/inner
            with:
              token: ${upper(vars.password)}
              label: q-${vars.plain}
        resources:
          vpc:
            type: aws_vpc
            cidr_block: 10.0.0.0/16
            tags:
              interpolated: "pre-${vars.password}"
              function: ${format("%s!", lower(vars.password))}
              conditional: '${length(vars.password) > 3 ? "long" : "short"}'
              looped: '${join(",", [for c in split("-", vars.password) : c])}'
              indexed: ${split("-", vars.password)[0]}
              from_module: ${inner.token_tag}
              open: ${vars.plain}
          subnet:
            type: aws_subnet
            vpc_id: ${vpc.id}
            cidr_block: 10.0.1.0/24
            availability_zone: '${vpc.tags.open == "" ? "us-east-1b" : "us-east-1a"}'
          listed:
            type: aws_subnet
            vpc_id: ${vpc.id}
            cidr_block: 10.0.2.0/24
            availability_zone: us-east-1a
            tags: { all: '${jsonencode(vpc.tags)}' }
        outputs:
          derived: { value: "${vpc.tags.function}", sensitive: true }
          queue: ${inner.name}
        """

    @Test func aValueDerivedFromASensitiveOneIsSensitiveAndTheGraphNeverHoldsIt() throws {
        let scratch = try Scratch(["stack.yaml": Self.stack, "modules/inner/module.yaml": Self.module])
        defer { scratch.remove() }
        let result = scratch.compile(vars: ["password": Self.marker])
        #expect(!result.hasErrors, "\(result.diagnostics.map(\.summary))")
        let graph = try #require(result.graph)
        let vpc = try #require(graph.resources[ResourceAddress(module: nil, type: "aws_vpc", name: "vpc")])
        // Each tag that reads the secret is one, by path, in tags and tags_all; `open` is not.
        let derived = ["conditional", "from_module", "function", "indexed", "interpolated", "looped"]
        #expect(vpc.sensitiveAttributes == derived.map { "tags.\($0)" } + derived.map { "tags_all.\($0)" })
        let queue = try #require(graph.resources[ResourceAddress(module: "inner", type: "aws_sqs_queue", name: "queue")])
        #expect(queue.sensitiveAttributes == ["tags.token", "tags_all.token"], "a module input computed from a secret is one")
        // Reading what is not secret is not (`vpc.id`, `vpc.tags.open`, `queue.name`).
        let subnet = try #require(graph.resources[ResourceAddress(module: nil, type: "aws_subnet", name: "subnet")])
        #expect(subnet.sensitiveAttributes.isEmpty)
        #expect(graph.sensitiveOutputs == ["derived"])
        // A list holds its secret whole; a read of the whole map reads it.
        let list = try #require(graph.resources[ResourceAddress(module: nil, type: "aws_subnet", name: "listed")])
        #expect(list.sensitiveAttributes == ["tags.all", "tags_all.all"])
        #expect(graph.sensitiveVars == ["password"])
        // The values are there for apply; the graph's JSON has only the marker.
        #expect(vpc.attributes["tags"]?.json.compact.contains(Self.marker) == true)
        let text = graph.json.compact
        #expect(!text.contains(Self.marker) && !text.contains(Self.marker.uppercased()) && !text.contains(Self.marker.lowercased()))
        #expect(text.contains("\"$sensitive\":true"))
        #expect(text.contains("q-open") && text.contains("\"open\":\"open\""), "values that are not secret are still shown")
    }

    /// The errors of a stack named `s` in us-east-1 whose other keys are `body`.
    static func errors(_ body: String, vars: [String: String] = [:]) throws -> [Diagnostic] {
        let scratch = try Scratch(["stack.yaml": "stack: s\nregion: us-east-1\n" + body])
        defer { scratch.remove() }
        return scratch.compile(vars: vars).diagnostics.filter { $0.severity == .error }
    }

    @Test func anOutputOfASecretMustSaySoAndExpansionsCannotUseOne() throws {
        let errors = try Self.errors(
            """
            vars:
              password: { type: string, default: x, sensitive: true }
              names: { type: list(string), default: [a], sensitive: true }
            resources:
              vpc: { type: aws_vpc, cidr_block: 10.0.0.0/16, tags: { p: "${vars.password}" } }
              many: { type: aws_vpc, for_each: "${vars.names}", cidr_block: 10.1.0.0/16 }
            outputs:
              leaked: ${vpc.tags.p}
              flagged: { value: "${vars.password}", sensitive: maybe }
            """)
        let output = try #require(errors.first { $0.summary == "output `leaked` refers to a sensitive value" })
        #expect(output.span?.start.line == 10)
        #expect(output.detail?.contains("sensitive: true") == true)
        #expect(errors.contains { $0.summary == "`for_each` cannot use a sensitive value" && $0.span?.start.line == 8 })
        #expect(errors.contains { $0.summary == "`sensitive` must be true or false, found `maybe`" && $0.span?.start.line == 11 })
    }

    @Test func aBadValueForASensitiveVariableIsReportedWithoutIt() throws {
        let errors = try Self.errors("vars:\n  pin: { type: int, sensitive: true }\n", vars: ["pin": Self.marker])
        #expect(errors.map(\.summary) == ["--var pin=(sensitive value): expected a whole number"])
    }

    @Test func anErrorAboutASecretsContentDoesNotQuoteIt() throws {
        let errors = try Self.errors(
            """
            vars:
              password: { type: string, sensitive: true }
            resources:
              vpc: { type: aws_vpc, cidr_block: "${vars.password}" }
              queue: { type: aws_sqs_queue, name: "${cidrsubnet(vars.password, 4, 1)}" }
            """, vars: ["password": Self.marker])
        #expect(errors.count == 2)
        for error in errors {
            #expect(
                !error.summary.contains(Self.marker) && error.summary.contains("`(sensitive value)` is not a valid IPv4 CIDR"),
                "\(error.summary)")
        }
    }

    @Test func aKubernetesSecretsDataIsSensitiveByPathAndTheRestIsNot() throws {
        let schema = try #require(ResourceCatalog.all["kubernetes_manifest"])
        let secret: [String: Value] = [
            "manifest": .map([
                "apiVersion": .string("v1"), "kind": .string("Secret"),
                "metadata": .map(["name": .string("db")]), "stringData": .map(["password": .string(Self.marker)]),
            ])
        ]
        #expect(schema.sensitivePaths(in: secret) == ["manifest.stringData"])
        let redacted = secret.redacting(schema.sensitivePaths(in: secret))
        #expect(redacted["manifest"]?.json.compact.contains(Self.marker) == false)
        #expect(redacted["manifest"]?.json.compact.contains("\"name\":\"db\"") == true)
        // Read back, the part strata applied may lack the kind; the whole object tells.
        let live: [String: Value] = [
            "manifest": .map(["data": .map(["password": .string("czNjcjN0")])]),
            "object": .map(["apiVersion": .string("v1"), "kind": .string("Secret"), "data": .map(["password": .string("czNjcjN0")])]),
        ]
        #expect(schema.sensitivePaths(in: live) == ["manifest.data", "object.data"])
        var configMap = secret
        configMap["manifest"] = .map(["apiVersion": .string("v1"), "kind": .string("ConfigMap"), "data": .map([:])])
        #expect(schema.sensitivePaths(in: configMap).isEmpty)
    }
}
