import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

@testable import StrataPlanner

/// A copy of a shipped stack under a scratch folder with a unique stack name (and unique IAM
/// names), so planner tests run concurrently against the one sandbox without seeing each other.
struct ScratchStack {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    let root: URL
    let name: String
    var file: URL { root.appendingPathComponent("stack.yaml") }

    /// `stacks/<shipped>/stack.yaml` with its name replaced, module sources made absolute and
    /// `rename` applied (IAM names are account-wide, so tests make them unique).
    init(shipped: String, rename: [String: String] = [:]) throws {
        name = "t-" + UUID().uuidString.prefix(8).lowercased()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("strata-planner-\(name)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var text = try String(
            contentsOf: Self.repository.appendingPathComponent("stacks/\(shipped)/stack.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "stack: \(shipped)\n", with: "stack: \(name)\n")
        text = text.replacingOccurrences(of: "../../modules/", with: Self.repository.path + "/modules/")
        for (old, new) in rename { text = text.replacingOccurrences(of: old, with: new.replacingOccurrences(of: "$NAME", with: name)) }
        try write(text)
    }

    /// A stack written from `text`: `$NAME` becomes the unique stack name, `$MODULES` the
    /// repository's modules folder.
    init(text: String) throws {
        name = "t-" + UUID().uuidString.prefix(8).lowercased()
        root = FileManager.default.temporaryDirectory.appendingPathComponent("strata-planner-\(name)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try write(
            text.replacingOccurrences(of: "$NAME", with: name)
                .replacingOccurrences(of: "$MODULES", with: Self.repository.path + "/modules"))
    }

    func write(_ text: String) throws { try text.write(to: file, atomically: true, encoding: .utf8) }

    func read() throws -> String { try String(contentsOf: file, encoding: .utf8) }

    /// Rewrites the stack file.
    func edit(_ change: (String) -> String) throws { try write(change(try read())) }

    func compile() throws -> CompiledGraph { try compileProgram().graph }

    /// The stack's program and its evaluation with nothing live, as the command compiles once.
    func compileProgram() throws -> (graph: CompiledGraph, program: Program) {
        let result = Compiler(catalog: ResourceCatalog.all).compile(stackAt: file)
        let graph = try #require(result.graph, "\(result.diagnostics.map(\.summary))")
        return (graph, try #require(result.program))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// The sandbox, a client and the planner for one scratch stack.
struct PlannerHarness {
    let sandbox: Sandbox
    let client: AWSClient
    let stack: ScratchStack

    static func make(shipped: String = "demo") async throws -> PlannerHarness {
        let sandbox = try await Sandbox.shared()
        let stack = try ScratchStack(shipped: shipped, rename: ["name: demo-inventory": "name: $NAME-inventory"])
        return PlannerHarness(sandbox: sandbox, client: sandbox.client(), stack: stack)
    }

    /// A stack of a VPC, two subnets and the iam-role module (role, policy, attachment): the
    /// demo's shape without its gateway and routes.
    static let core = """
        stack: $NAME
        region: us-east-1
        tags: { team: platform }
        modules:
          inventory:
            source: $MODULES/iam-role
            with:
              name: $NAME-inventory
              policy:
                Version: "2012-10-17"
                Statement:
                  - Effect: Allow
                    Action: [ec2:DescribeVpcs]
                    Resource: "*"
        resources:
          vpc:
            type: aws_vpc
            cidr_block: 10.50.0.0/16
            enable_dns_hostnames: true
            tags: { Name: core }
          subnet:
            type: aws_subnet
            for_each: [us-east-1a, us-east-1b]
            vpc_id: ${vpc.id}
            availability_zone: ${each.value}
            cidr_block: '${cidrsubnet(vpc.cidr_block, 8, each.index)}'
            tags: { Name: '${format("core-%s", each.value)}' }
        """

    static func make(text: String) async throws -> PlannerHarness {
        let sandbox = try await Sandbox.shared()
        return PlannerHarness(sandbox: sandbox, client: sandbox.client(), stack: try ScratchStack(text: text))
    }

    /// A fresh context (and discovery cache) per plan, as the command makes.
    var context: ProviderContext {
        ProviderContext(client: client, stack: stack.name, region: Sandbox.region, waits: WaitPolicy(interval: .milliseconds(50)))
    }

    var planner: Planner { Planner(context: context) }

    func plan() async throws -> Plan {
        let (graph, program) = try stack.compileProgram()
        return try await planner.plan(graph, program: program)
    }

    /// Carries out a plan's creates, updates and deletes with the providers directly, in
    /// dependency order, resolving values known after apply as it goes, the way apply does.
    func carryOut(_ plan: Plan, only: Set<ResourceAddress>? = nil) async throws {
        var plan = plan
        if let only { plan.changes = plan.changes.filter { only.contains($0.address) || $0.action == .noop } }
        var live: [ResourceAddress: [String: Value]] = [:]
        for change in plan.changes where change.action == .noop || change.action == .update {
            if let current = change.live { live[change.address] = current.attributes }
        }
        for change in plan.changes where change.action == .delete {
            let provider = try #require(ProviderRegistry.provider(for: change.type))
            try await provider.delete(try #require(change.live), context)
        }
        var pending = plan.changes.filter { $0.action == .create || $0.action == .update || $0.action == .replace }
        let resolver = DesiredResolver(plan: plan)
        while !pending.isEmpty {
            let ready = pending.filter { change in
                change.dependencies.allSatisfy { dependency in
                    !pending.contains { $0.address == dependency }
                }
            }
            try #require(!ready.isEmpty, "no change is ready among \(pending.map(\.address))")
            let desired = try resolver.resolve(live: live)
            for change in ready {
                let provider = try #require(ProviderRegistry.provider(for: change.type))
                let resource = try #require(desired[change.address])
                switch change.action {
                case .create:
                    live[change.address] = try await provider.create(resource, context).attributes
                case .update:
                    live[change.address] = try await provider.update(
                        try #require(change.live), to: resource, changed: Set(change.changedAttributes), context
                    ).attributes
                case .replace:
                    try await provider.delete(try #require(change.live), context)
                    live[change.address] = try await provider.create(resource, context).attributes
                default: break
                }
            }
            pending.removeAll { change in ready.contains { $0.address == change.address } }
        }
    }
}
