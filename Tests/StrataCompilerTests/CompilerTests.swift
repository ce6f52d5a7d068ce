import Foundation
import StrataModel
import StrataProviders
import StrataSyntax
import Testing

@testable import StrataCompiler

/// Compiles small stacks written to a scratch folder.
struct Scratch {
    let root: URL

    init(_ files: [String: String]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("strata-compiler-\(UUID().uuidString)")
        for (path, text) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }

    func compile(_ path: String = "stack.yaml", vars: [String: String] = [:]) -> CompileResult {
        Compiler(catalog: ResourceCatalog.all).compile(stackAt: root.appendingPathComponent(path), vars: vars)
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

@Suite struct CompilerTests {
    static let vpcModule = """
        inputs:
          cidr:  { type: cidr }
          zones: { type: int, default: 3 }
        resources:
          vpc:
            type: aws_vpc
            cidr_block: ${inputs.cidr}
            enable_dns_hostnames: true
          private:
            type: aws_subnet
            for_each: ${range(inputs.zones)}
            vpc_id: ${vpc.id}
            cidr_block: ${cidrsubnet(inputs.cidr, 4, each.index)}
            availability_zone: ${zones[each.index]}
        outputs:
          private_subnet_ids: ${private[*].id}
          first_cidr: ${private[0].cidr_block}
        """

    static let stack = """
        stack: prod
        region: us-east-1
        tags: { team: platform, env: prod }
        modules:
          network:
            source: modules/vpc
            with: { cidr: 10.40.0.0/16, zones: 2 }
        outputs:
          subnets: ${network.private_subnet_ids}
          first: ${network.first_cidr}
        """

    @Test func theDesignExampleCompilesToAGraph() throws {
        let scratch = try Scratch(["stack.yaml": Self.stack, "modules/vpc/module.yaml": Self.vpcModule])
        defer { scratch.remove() }
        let result = scratch.compile()
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let graph = try #require(result.graph)
        #expect(
            graph.order.map(\.canonical) == [
                "module.network.aws_vpc.vpc", "module.network.aws_subnet.private[0]",
                "module.network.aws_subnet.private[1]",
            ])
        let subnet = try #require(
            graph.resources[ResourceAddress(module: "network", type: "aws_subnet", name: "private", key: .index(1))])
        #expect(subnet.attributes["cidr_block"] == .string("10.40.16.0/20"))
        #expect(subnet.attributes["availability_zone"] == .string("us-east-1b"))
        #expect(subnet.attributes["vpc_id"] == .unknown(.string))
        #expect(subnet.dependencies.map(\.canonical) == ["module.network.aws_vpc.vpc"])
        guard case .map(let tags)? = subnet.attributes["tags_all"] else {
            Issue.record("no tags_all")
            return
        }
        #expect(tags["team"] == .string("platform"))
        #expect(tags["strata:address"] == .string("module.network.aws_subnet.private[1]"))
        #expect(graph.outputs["first"] == .string("10.40.0.0/20"))
        #expect(graph.outputs["subnets"] == .list([.unknown(.string), .unknown(.string)]))
        #expect(graph.json.compact.contains(#"{"$unknown":true,"type":"string"}"#))
    }

    @Test func aTypoIsReportedAtItsKeyWithASuggestion() throws {
        let module = Self.vpcModule.replacingOccurrences(
            of: "    enable_dns_hostnames", with: "    enable_dns_hostname")
        let scratch = try Scratch(["stack.yaml": Self.stack, "modules/vpc/module.yaml": module])
        defer { scratch.remove() }
        let result = scratch.compile()
        #expect(result.graph == nil)
        let diagnostic = try #require(result.diagnostics.first)
        #expect(result.diagnostics.count == 1)
        #expect(diagnostic.summary == "unknown attribute `enable_dns_hostname` for resource type `aws_vpc`")
        #expect(diagnostic.span?.start == SourcePosition(line: 8, column: 5))
        #expect(diagnostic.span?.end == SourcePosition(line: 8, column: 24))
        #expect(diagnostic.notes.map(\.message) == ["did you mean `enable_dns_hostnames`?"])
    }

    @Test func missingInputsAreReportedAtTheWithSite() throws {
        let stack = Self.stack.replacingOccurrences(
            of: "with: { cidr: 10.40.0.0/16, zones: 2 }", with: "with: { zones: 2 }")
        let scratch = try Scratch(["stack.yaml": stack, "modules/vpc/module.yaml": Self.vpcModule])
        defer { scratch.remove() }
        let result = scratch.compile()
        let missing = try #require(result.diagnostics.first { $0.summary.contains("missing required input `cidr`") })
        #expect(missing.span?.start == SourcePosition(line: 7, column: 5))
        #expect(missing.notes.first?.span?.file.hasSuffix("modules/vpc/module.yaml") == true)
    }

    @Test func cyclesNameEveryMemberAndWhereEachRefersToTheNext() throws {
        let stack = """
            stack: s
            region: eu-west-1
            resources:
              a:
                type: aws_security_group
                name: ${b.name}
              b:
                type: aws_security_group
                name: ${c.name}
              c:
                type: aws_security_group
                name: ${a.name}
            """
        let scratch = try Scratch(["stack.yaml": stack])
        defer { scratch.remove() }
        let result = scratch.compile()
        let cycle = try #require(result.diagnostics.first { $0.summary.hasPrefix("dependency cycle") })
        #expect(
            cycle.summary
                == "dependency cycle: `aws_security_group.a` → `aws_security_group.b` → `aws_security_group.c` → `aws_security_group.a`"
        )
        #expect(cycle.span?.start == SourcePosition(line: 6, column: 13))
        #expect(cycle.notes.map { $0.span?.start.line } == [9, 12])
    }

    @Test func networkRulesCatchOverlapsAndStrays() throws {
        let stack = """
            stack: s
            region: eu-west-1
            resources:
              vpc:
                type: aws_vpc
                cidr_block: 10.0.0.0/16
              a:
                type: aws_subnet
                vpc_id: ${vpc.id}
                cidr_block: 10.0.0.0/24
              b:
                type: aws_subnet
                vpc_id: ${vpc.id}
                cidr_block: 10.0.0.128/25
              c:
                type: aws_subnet
                vpc_id: ${vpc.id}
                cidr_block: 10.1.0.0/24
            """
        let scratch = try Scratch(["stack.yaml": stack])
        defer { scratch.remove() }
        let summaries = scratch.compile().diagnostics.map(\.summary)
        #expect(summaries.contains { $0.contains("`aws_subnet.b` (10.0.0.128/25) overlaps `aws_subnet.a`") })
        #expect(
            summaries.contains {
                $0.contains("`aws_subnet.c` (10.1.0.0/24) is outside its VPC's CIDR block 10.0.0.0/16")
            })
    }

    @Test func varsTakeTheirDeclaredTypeFromTheCommandLine() throws {
        let stack = """
            stack: pr-${vars.pr}
            region: eu-west-1
            vars:
              pr: { type: int }
            resources:
              queue:
                type: aws_sqs_queue
                name: ${format("q-%d", vars.pr + 1)}
            """
        let scratch = try Scratch(["stack.yaml": stack])
        defer { scratch.remove() }
        #expect(scratch.compile().diagnostics.contains { $0.summary.contains("`pr` has no default and no value") })
        let result = scratch.compile(vars: ["pr": "41"])
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.graph?.stack == "pr-41")
        #expect(result.graph?.instances.first?.attributes["name"] == .string("q-42"))
        #expect(
            scratch.compile(vars: ["pr": "x"]).diagnostics.contains { $0.summary.contains("expected a whole number") })
    }
}

@Suite struct FunctionTests {
    private func call(_ name: String, _ arguments: [Value]) -> (Value, [Diagnostic]) {
        var diagnostics: [Diagnostic] = []
        let span = SourceSpan(file: "f", line: 1, column: 1)
        let value = Functions.call(
            name, nameSpan: span, callSpan: span, arguments: arguments,
            argumentSpans: arguments.map { _ in span }, diagnostics: &diagnostics)
        return (value, diagnostics)
    }

    @Test func networkFunctions() {
        #expect(call("cidrsubnet", [.string("10.0.0.0/16"), .int(8), .int(2)]).0 == .string("10.0.2.0/24"))
        #expect(call("cidrhost", [.string("10.0.2.0/24"), .int(5)]).0 == .string("10.0.2.5"))
        #expect(
            call("cidrsubnet", [.string("10.0.0.0/16"), .int(2), .int(4)]).1.first?.summary.contains("does not fit")
                == true)
        #expect(
            call("cidrsubnet", [.string("10.0.0.1/16"), .int(2), .int(1)]).1.first?.summary.contains("host bits")
                == true)
    }

    @Test func collectionFunctions() {
        #expect(call("range", [.int(3)]).0 == .list([.int(0), .int(1), .int(2)]))
        #expect(
            call("merge", [.map(["a": .int(1)]), .map(["a": .int(2), "b": .int(3)])]).0
                == .map(["a": .int(2), "b": .int(3)]))
        #expect(call("flatten", [.list([.list([.int(1)]), .int(2)])]).0 == .list([.int(1), .int(2)]))
        #expect(call("format", [.string("%s-%d"), .string("a"), .int(3)]).0 == .string("a-3"))
        #expect(call("jsonencode", [.map(["b": .bool(true), "a": .list([])])]).0 == .string(#"{"a":[],"b":true}"#))
        #expect(call("jsondecode", [.string(#"{"a":[1,true]}"#)]).0 == .map(["a": .list([.int(1), .bool(true)])]))
        #expect(call("element", [.list([.string("a"), .string("b")]), .int(3)]).0 == .string("b"))
        #expect(call("coalesce", [.null, .string(""), .string("x")]).0 == .string("x"))
    }

    @Test func badCallsAreTypeChecked() {
        #expect(call("lenght", [.list([])]).1.first?.notes.first?.message == "did you mean `length`?")
        #expect(call("upper", []).1.first?.summary == "function `upper` takes 1 argument, got 0")
        #expect(
            call("join", [.string(","), .string("x")]).1.first?.summary
                == "argument 2 of `join` must be a list, got string")
        #expect(call("upper", [.unknown(.string)]).0 == .unknown(.string))
    }
}

@Suite struct ArithmeticEdgeTests {
    /// The extremes of Int, given as literals, must produce diagnostics or values, never a trap.
    @Test(arguments: [
        "${-(-9223372036854775807 - 1)}", "${(-9223372036854775807 - 1) / -1}", "${(-9223372036854775807 - 1) % -1}",
        "${range(-9223372036854775807, 9223372036854775807)}", "${max(9223372036854775807, 1)}",
        "${cidrsubnet(\"10.0.0.0/8\", 9223372036854775807, 1)}", "${cidrhost(\"10.0.0.0/8\", -9223372036854775807)}",
        "${9223372036854775807 * 9223372036854775807}", "${element([1], 9223372036854775807)}",
    ])
    func extremesDoNotTrap(_ expression: String) throws {
        let scratch = try Scratch([
            "stack.yaml": "stack: s\nregion: us-east-1\noutputs:\n  x: '\(expression)'\n"
        ])
        defer { scratch.remove() }
        let result = scratch.compile()
        #expect(result.graph != nil || result.hasErrors)
    }
}

@Suite struct ResourceAddressTests {
    @Test func canonicalStringsRoundTrip() throws {
        let addresses = [
            ResourceAddress(module: nil, type: "aws_vpc", name: "main"),
            ResourceAddress(module: "network", type: "aws_subnet", name: "private", key: .name("us-east-1a")),
            ResourceAddress(module: "cluster", type: "aws_eks_node_group", name: "pool", key: .index(0)),
            ResourceAddress(module: nil, type: "aws_sqs_queue", name: "q", key: .name(#"a"b\c"#)),
        ]
        #expect(
            addresses.map(\.canonical) == [
                "aws_vpc.main", #"module.network.aws_subnet.private["us-east-1a"]"#,
                "module.cluster.aws_eks_node_group.pool[0]", #"aws_sqs_queue.q["a\"b\\c"]"#,
            ])
        for address in addresses {
            #expect(ResourceAddress(parsing: address.canonical) == address)
        }
        #expect(ResourceAddress(parsing: "nodots") == nil)
    }

    @Test func orderIsStackFirstThenModuleTypeNameKey() {
        let sorted = [
            ResourceAddress(module: "b", type: "aws_vpc", name: "v"),
            ResourceAddress(module: nil, type: "aws_vpc", name: "v"),
            ResourceAddress(module: "a", type: "aws_subnet", name: "s", key: .index(10)),
            ResourceAddress(module: "a", type: "aws_subnet", name: "s", key: .index(2)),
        ].sorted().map(\.canonical)
        #expect(sorted == ["aws_vpc.v", "module.a.aws_subnet.s[2]", "module.a.aws_subnet.s[10]", "module.b.aws_vpc.v"])
    }
}

@Suite struct ForExpressionTests {
    @Test func listsAndMapsAreBuiltElementByElement() throws {
        let stack = """
            stack: loops
            region: eu-west-1
            vars:
              sizes: { small: 1, medium: 2, large: 4 }
            resources:
              queues:
                type: aws_sqs_queue
                for_each: '${[for name, size in vars.sizes : name if size > 1]}'
                name: ${each.value}
            outputs:
              doubled: '${{for k, v in vars.sizes : upper(k) => v * 2 if v > 1}}'
              indexed: '${[for i, z in zones : "${z}" if i < 2]}'
              arns: '${[for q in queues : q.arn]}'
              names: '${[for q in queues : q.name]}'
            """
        let scratch = try Scratch(["stack.yaml": stack])
        defer { scratch.remove() }
        let result = scratch.compile()
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let graph = try #require(result.graph)
        #expect(
            graph.resources.keys.map(\.canonical).sorted() == [
                #"aws_sqs_queue.queues["large"]"#, #"aws_sqs_queue.queues["medium"]"#,
            ])
        #expect(graph.outputs["doubled"] == .map(["MEDIUM": .int(4), "LARGE": .int(8)]))
        // Strings inside expressions do not interpolate again (docs/language.md).
        #expect(graph.outputs["indexed"] == .list([.string("${z}"), .string("${z}")]))
        #expect(graph.outputs["arns"] == .list([.unknown(.string), .unknown(.string)]))
        #expect(graph.outputs["names"] == .list([.string("large"), .string("medium")]))
    }

    @Test func loopVariablesAreNotReferencesButOtherNamesAre() throws {
        let stack = """
            stack: loops
            region: eu-west-1
            outputs:
              bad: '${[for z in zones : zz]}'
            """
        let scratch = try Scratch(["stack.yaml": stack])
        defer { scratch.remove() }
        let diagnostics = scratch.compile().diagnostics
        #expect(diagnostics.map(\.summary) == ["unknown reference `zz`"])
        #expect(diagnostics.first?.span?.start == SourcePosition(line: 4, column: 29))
    }
}

@Suite struct VersionSkewTests {
    @Test func aNodeGroupFarBehindItsClusterIsAWarningNotAnError() throws {
        let stack = """
            stack: skew
            region: us-east-1
            resources:
              cluster:
                type: aws_eks_cluster
                name: skew
                version: "1.32"
                role_arn: arn:aws:iam::111122223333:role/eks
                vpc_config: { subnet_ids: [subnet-1] }
              nodes:
                type: aws_eks_node_group
                cluster_name: ${cluster.name}
                version: "1.28"
                node_role_arn: arn:aws:iam::111122223333:role/nodes
                subnet_ids: [subnet-1]
                scaling_config: { desired_size: 1, min_size: 1, max_size: 1 }
            """
        let scratch = try Scratch(["stack.yaml": stack])
        defer { scratch.remove() }
        let result = scratch.compile()
        #expect(result.graph != nil)
        #expect(result.diagnostics.map(\.severity) == [.warning])
        #expect(result.diagnostics.first?.summary.contains("more than three minors behind its cluster's 1.32") == true)
        #expect(result.diagnostics.first?.span?.start == SourcePosition(line: 13, column: 14))
    }
}

@Suite struct StandaloneModuleTests {
    @Test func requiredInputsStandForAnyValueButTyposAreStillFound() throws {
        let module = """
            inputs:
              names: { type: list(string) }
            resources:
              queues:
                type: aws_sqs_queue
                for_each: ${inputs.names}
                name: ${each.value}
                delay_secnds: 5
            """
        let scratch = try Scratch(["m/module.yaml": module])
        defer { scratch.remove() }
        let result = Compiler(catalog: ResourceCatalog.all).compile(moduleAt: scratch.root.appendingPathComponent("m"))
        #expect(result.diagnostics.map(\.summary) == ["unknown attribute `delay_secnds` for resource type `aws_sqs_queue`"])
        #expect(result.diagnostics.first?.span?.start == SourcePosition(line: 8, column: 5))
    }
}
