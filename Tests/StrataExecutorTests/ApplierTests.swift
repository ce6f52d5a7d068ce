import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataPlanner
import StrataProviders
import StrataTestSupport
import Testing

@testable import StrataExecutor

/// The applier's own logic, with an in-memory provider standing in for AWS (what is under test
/// is the ordering and the just-in-time resolution, not a provider): step edges for replacements
/// and orphans, values known only after apply, one compile per generation of live values.
@Suite struct ApplierTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The provider of a type the catalog has, whose schema and deletion rule the stand-ins copy.
    static func real(_ type: String) -> any ResourceProvider {
        guard let provider = ProviderRegistry.all[type] else { preconditionFailure("no provider for \(type)") }
        return provider
    }

    /// Records every create with the attributes it was given; answers with an id and every
    /// computed string attribute filled in, like AWS.
    final class MemoryProvider: ResourceProvider, @unchecked Sendable {
        let type: String
        let book: Book
        // A stand-in for a real type: its schema and deletion rule are the real one's.
        var schema: ResourceSchema { ApplierTests.real(type).schema }
        var deletion: DeletionRule { ApplierTests.real(type).deletion }
        init(type: String, book: Book) {
            self.type = type
            self.book = book
        }
        func discover(_ context: ProviderContext) async throws -> [LiveResource] { [] }
        func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
            let id = "\(type)-\(await book.next())"
            var attributes = desired.attributes
            for (name, schema) in ResourceCatalog.all[type]?.attributes ?? [:] where schema.presence == .computed && schema.type == .string
            {
                attributes[name] = .string("\(name)-of-\(id)")
            }
            attributes["id"] = .string(id)
            await book.record(desired)
            return LiveResource(type: type, address: desired.address, id: id, attributes: attributes)
        }
        func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
            -> LiveResource
        { live }
        func delete(_ live: LiveResource, _ context: ProviderContext) async throws { await book.deleted(live.id) }
    }

    actor Book {
        var counter = 0
        var created: [DesiredResource] = []
        var deletions: [String] = []
        func next() -> Int {
            counter += 1
            return counter
        }
        func record(_ desired: DesiredResource) { created.append(desired) }
        func deleted(_ id: String) { deletions.append(id) }
        var settles: [String] = []
        func settled(_ id: String) { settles.append(id) }
    }

    static func context() async throws -> ProviderContext {
        // Never called by the memory provider; a client is part of the context's shape.
        ProviderContext(client: try await Sandbox.shared().client(), stack: "demo", region: "us-east-1")
    }

    static func demoPlan() throws -> Plan {
        let url = repository.appendingPathComponent("stacks/demo")
        let compiled = Compiler(catalog: ResourceCatalog.all).compile(stackAt: url)
        let graph = try #require(compiled.graph)
        let changes = graph.instances.map { instance in
            ResourceChange(
                address: instance.address, type: instance.type, plane: instance.plane, action: .create, before: nil,
                after: instance.attributes, dependencies: instance.dependencies,
                idempotencyToken: IdempotencyToken.derive(stack: graph.stack, address: instance.address, attributes: instance.attributes))
        }
        return Plan(
            stack: graph.stack, region: graph.region, stackPath: url.path, changes: changes, liveFingerprint: "",
            program: try #require(compiled.program).jsonText())
    }

    @Test func valuesKnownOnlyAfterApplyAreResolvedBeforeEachCreate() async throws {
        let plan = try Self.demoPlan()
        #expect(plan.changes.contains { change in change.after?.values.contains { ApplyState.containsUnknown($0) } ?? false })
        let book = Book()
        let types = Set(plan.changes.map(\.type))
        let providers = Dictionary(uniqueKeysWithValues: types.map { ($0, MemoryProvider(type: $0, book: book) as any ResourceProvider) })
        let events = CollectingEventSink()
        let applier = Applier(context: try await Self.context(), events: EventEmitter(runID: "r1", sink: events), providers: providers)
        let report = await applier.apply(plan)
        #expect(report.succeeded, "\(report.summary)")
        #expect(report.created.count == 13)
        let created = await book.created
        let byAddress = Dictionary(uniqueKeysWithValues: created.map { ($0.address.canonical, $0) })
        for desired in created {
            let schema = ResourceCatalog.all[desired.type]
            for (name, value) in desired.attributes where schema?.attributes[name]?.presence != .computed {
                #expect(!ApplyState.containsUnknown(value), "\(desired.address).\(name) was sent unknown")
            }
        }
        // A subnet got the id its VPC was created with, and the same ownership tags.
        let vpc = try #require(created.first { $0.type == "aws_vpc" })
        let subnet = try #require(byAddress["module.network.aws_subnet.private[0]"])
        let vpcIndex = try #require(created.firstIndex { $0.type == "aws_vpc" })
        #expect(subnet.attributes["vpc_id"]?.stringValue?.hasPrefix("aws_vpc-") == true)
        #expect(created.firstIndex { $0.address == subnet.address }! > vpcIndex)
        #expect(subnet.tags[ProviderContext.stackTag] == "demo")
        #expect(vpc.tags[ProviderContext.addressTag] == "module.network.aws_vpc.vpc")
        // Every event carries the run id, and each resource was created once.
        #expect(events.events.allSatisfy { $0.correlationId == "r1" })
        #expect(events.events.filter { $0.kind == .resourceCreated }.count == 13)
    }

    @Test func theTokenFollowsTheResolvedContent() async throws {
        let plan = try Self.demoPlan()
        let address = try #require(plan.changes.first { $0.type == "aws_subnet" }?.address)
        let vpcAddress = try #require(plan.changes.first { $0.type == "aws_vpc" }?.address)
        var tokens: [String] = []
        for vpcID in ["vpc-1", "vpc-2", "vpc-1"] {
            let state = ApplyState(plan: plan, catalog: ResourceCatalog.all, live: [vpcAddress: ["id": .string(vpcID)]])
            tokens.append(try await state.desired(for: address).idempotencyToken)
        }
        #expect(tokens[0] != tokens[1], "a subnet in another VPC is another create")
        #expect(tokens[0] == tokens[2], "the same create after a crash sends the same token")
    }

    @Test func resolvingCompilesAtMostOncePerGeneration() async throws {
        let plan = try Self.demoPlan()
        let vpcAddress = try #require(plan.changes.first { $0.type == "aws_vpc" }?.address)
        let subnets = plan.changes.filter { $0.type == "aws_subnet" }.map(\.address)
        let state = ApplyState(plan: plan, catalog: ResourceCatalog.all, live: [:])
        await state.record(vpcAddress, ["id": .string("vpc-9")])
        for subnet in subnets { _ = try await state.desired(for: subnet) }
        #expect(await state.compiles == 1, "four subnets ready together share one compile")
        // Before the VPC exists, a subnet cannot be resolved: it says which attribute is missing.
        let empty = ApplyState(plan: plan, catalog: ResourceCatalog.all, live: [:])
        await #expect(throws: ExecutorError.self) { try await empty.desired(for: subnets[0]) }
    }

    /// The VPC as a run killed during its create's wait would leave it: existing (so the plan
    /// leaves it alone) but not usable yet. Settling it gives it its final id.
    final class UnsettledVPCProvider: ResourceProvider, @unchecked Sendable {
        let schema = ApplierTests.real("aws_vpc").schema
        let deletion = ApplierTests.real("aws_vpc").deletion
        let book: Book
        init(book: Book) { self.book = book }
        func discover(_ context: ProviderContext) async throws -> [LiveResource] { [] }
        func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
            throw ExecutorError.missingLive(desired.address)
        }
        func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
            -> LiveResource
        { live }
        func delete(_ live: LiveResource, _ context: ProviderContext) async throws {}
        func settle(_ live: LiveResource, _ context: ProviderContext) async throws -> LiveResource? {
            await book.settled(live.id)
            var settled = live
            settled.attributes["id"] = .string("vpc-settled")
            return settled
        }
    }

    /// A dependency found mid-lifecycle (a cluster CREATING after a crash) is waited for before
    /// its dependents are created, once however many need it, and they use what it settled to.
    @Test func aDependencyStillComingUpIsSettledOnceBeforeItsDependents() async throws {
        var plan = try Self.demoPlan()
        let index = try #require(plan.changes.firstIndex { $0.type == "aws_vpc" })
        let vpc = plan.changes[index]
        plan.changes[index] = ResourceChange(
            address: vpc.address, type: vpc.type, plane: vpc.plane, action: .noop, before: ["id": .string("vpc-pending")],
            after: vpc.after,
            live: LiveResource(type: vpc.type, address: vpc.address, id: "vpc-pending", attributes: ["id": .string("vpc-pending")]),
            dependencies: vpc.dependencies)
        let book = Book()
        var providers = Dictionary(
            uniqueKeysWithValues: Set(plan.changes.map(\.type)).map { ($0, MemoryProvider(type: $0, book: book) as any ResourceProvider) })
        providers["aws_vpc"] = UnsettledVPCProvider(book: book)
        let applier = Applier(
            context: try await Self.context(), events: EventEmitter(runID: "r2", sink: CollectingEventSink()), providers: providers)
        let report = await applier.apply(plan)
        #expect(report.succeeded, "\(report.summary)")
        #expect(await book.settles == ["vpc-pending"], "settled once for every dependent")
        let subnets = await book.created.filter { $0.type == "aws_subnet" }
        #expect(subnets.count == 4)
        #expect(subnets.allSatisfy { $0.attributes["vpc_id"] == .string("vpc-settled") }, "\(subnets.map { $0.attributes["vpc_id"] })")
    }

    static func change(
        _ type: String, _ name: String, _ action: ChangeAction, deps: [ResourceAddress] = [], cbd: Bool = false,
        attributes: [String: Value] = [:]
    ) -> ResourceChange {
        ResourceChange(
            address: ResourceAddress(module: nil, type: type, name: name), type: type, plane: .network, action: action,
            before: action == .create ? nil : attributes, after: action == .delete ? nil : [:],
            live: action == .create ? nil : LiveResource(type: type, address: nil, id: name, attributes: attributes),
            createBeforeDestroy: cbd, dependencies: deps)
    }

    @Test func replacementsAndOrphansAreOrdered() throws {
        let vpc = Self.change("aws_vpc", "v", .replace)
        let subnet = Self.change("aws_subnet", "s", .replace, deps: [vpc.address])
        let role = Self.change("aws_iam_role", "r", .replace, cbd: true)
        let cluster = Self.change("aws_eks_cluster", "c", .update, deps: [role.address, subnet.address])
        let orphanAssociation = Self.change("aws_route_table_association", "a", .delete, attributes: ["route_table_id": .string("t")])
        let orphanTable = Self.change("aws_route_table", "t", .delete)
        let orphanVPC = Self.change("aws_vpc", "old", .delete)
        let plan = Plan(
            stack: "x", region: "us-east-1", stackPath: "/",
            changes: [vpc, subnet, role, cluster, orphanAssociation, orphanTable, orphanVPC],
            liveFingerprint: "")
        let (steps, edges) = Applier.steps(of: plan)
        func needs(_ change: ResourceChange, _ phase: Step.Phase) -> Set<Step> { edges[Step(change.address, phase)] ?? [] }
        #expect(steps.count == 10)
        // Delete-then-create: the old subnet goes before the old VPC, the new VPC after the old one.
        #expect(needs(vpc, .delete).contains(Step(subnet.address, .delete)))
        #expect(needs(vpc, .create).contains(Step(vpc.address, .delete)))
        #expect(needs(subnet, .create) == [Step(subnet.address, .delete), Step(vpc.address, .create)])
        // Create-before-destroy: the new role first, the cluster moved to it, then the old role deleted.
        #expect(needs(role, .create).isEmpty)
        #expect(needs(role, .delete).isSuperset(of: [Step(role.address, .create), Step(cluster.address, .update)]))
        #expect(needs(cluster, .update) == [Step(role.address, .create), Step(subnet.address, .create)])
        // Orphans by rank: association, then route table, then VPC.
        #expect(needs(orphanTable, .delete).contains(Step(orphanAssociation.address, .delete)))
        #expect(needs(orphanVPC, .delete).isSuperset(of: [Step(orphanAssociation.address, .delete), Step(orphanTable.address, .delete)]))
        #expect(needs(orphanAssociation, .delete).isEmpty)
        // And the whole is a DAG the walk can finish.
        var order: [Step] = []
        var left = Set(steps)
        while let next = left.sorted().first(where: { needs in (edges[needs] ?? []).isSubset(of: Set(order)) }) {
            order.append(next)
            left.remove(next)
        }
        #expect(left.isEmpty, "cycle among \(left)")
    }
    /// A delete waits for the resources AWS refuses it for while they exist, not for every lower
    /// rank: a 490-resource destroy used to run its disassociations, security groups and
    /// subnets as three stages end to end, each a floor of AWS's per-action write limits, where a
    /// subnet needs only its own associations gone (issue 10).
    @Test func deletesWaitOnlyForWhatAWSRefusesThemFor() throws {
        let association = Self.change(
            "aws_route_table_association", "a", .delete, attributes: ["subnet_id": .string("s"), "route_table_id": .string("t")])
        let otherAssociation = Self.change(
            "aws_route_table_association", "a2", .delete, attributes: ["subnet_id": .string("s2"), "route_table_id": .string("t")])
        let group = Self.change("aws_security_group", "g", .delete)
        let rule = Self.change(
            "aws_vpc_security_group_ingress_rule", "r", .delete,
            attributes: ["security_group_id": .string("g2"), "referenced_security_group_id": .string("g")])
        let template = Self.change("aws_launch_template", "lt", .delete, attributes: ["vpc_security_group_ids": .list([.string("g3")])])
        let subnet = Self.change("aws_subnet", "s", .delete)
        let nat = Self.change("aws_nat_gateway", "n", .delete, attributes: ["subnet_id": .string("s"), "allocation_id": .string("e")])
        let address = Self.change("aws_eip", "e", .delete)
        let gateway = Self.change("aws_internet_gateway", "i", .delete)
        let cluster = Self.change("aws_eks_cluster", "c", .delete)
        let table = Self.change("aws_route_table", "t", .delete)
        let vpc = Self.change("aws_vpc", "v", .delete)
        let all = [association, otherAssociation, group, rule, template, subnet, nat, address, gateway, cluster, table, vpc]
        let (steps, edges) = Applier.steps(of: Plan(stack: "x", region: "us-east-1", stackPath: "/", changes: all, liveFingerprint: ""))
        func needs(_ change: ResourceChange) -> Set<ResourceAddress> { Set((edges[Step(change.address, .delete)] ?? []).map(\.address)) }
        // What names it: the rule referencing the group (not the template using another group),
        // the subnet's own association and NAT gateway (not another subnet's association).
        #expect(needs(group) == [rule.address, cluster.address])
        #expect(needs(subnet) == [association.address, nat.address, cluster.address])
        #expect(needs(address) == [nat.address, cluster.address])
        #expect(needs(table) == [association.address, otherAssociation.address, cluster.address])
        // By type: a gateway waits for every NAT gateway and address of the plan.
        #expect(needs(gateway) == [nat.address, address.address, cluster.address])
        #expect(needs(association) == [cluster.address])
        // The VPC still goes last, and the cluster first.
        #expect(needs(vpc) == Set(all.map(\.address)).subtracting([vpc.address]))
        #expect(needs(cluster).isEmpty)
        #expect(steps.count == all.count)
    }
}
