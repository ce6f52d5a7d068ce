import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import StrataTestSupport
import Testing

@testable import StrataPlanner

/// A saved plan's integrity record and its check against the program it carries (the demo
/// stack compiled, no AWS), then the checks that read the account: its caller, the live resources the
/// changes name (the sandbox). The end-to-end refusals of edited files are `PlanFileIntegrityTests`.
@Suite struct PlanIntegrityTests {
    static let vpc = ResourceAddress(module: "network", type: "aws_vpc", name: "vpc")

    /// The demo stack's plan as against an empty account: a create per instance.
    static func demoPlan() throws -> Plan {
        let stack = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("stacks/demo")
        let result = Compiler(catalog: ResourceCatalog.all).compile(stackAt: stack)
        let graph = try #require(result.graph)
        let changes = graph.instances.map {
            ResourceChange(
                address: $0.address, type: $0.type, plane: $0.plane, action: .create, before: nil, after: $0.attributes,
                dependencies: $0.dependencies)
        }
        return Plan(
            stack: graph.stack, region: graph.region, stackPath: stack.path, changes: changes,
            dataSources: PlanDataSources(accountID: "123456789012"), liveFingerprint: "f",
            program: try #require(result.program).jsonText())
    }

    static func withFile<T>(_ body: (URL) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-integrity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try body(folder.appendingPathComponent("demo.plan"))
    }

    /// The message `body` throws (nil when it does not).
    static func refusal(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func anIntactPlanReadsBackAndMatchesItsProgram() throws {
        let plan = try Self.demoPlan()
        try Self.withFile { file in
            try PlanFile.write(plan, to: file)
            let back = try PlanFile.read(from: file)
            #expect(back.changes == plan.changes)
            try PlanBinding.check(back, file: file.path)
        }
    }

    /// Whoever edits a file can recompute a plain digest (here: by writing the edited plan with
    /// strata's own code). The file then reads as intact, and the check against the program it
    /// carries refuses it, naming the attribute and both values.
    @Test func anEditWithItsDigestRecomputedIsRefusedByItsProgram() throws {
        var plan = try Self.demoPlan()
        let index = try #require(plan.changes.firstIndex { $0.address == Self.vpc })
        plan.changes[index].after?["cidr_block"] = .string("10.99.0.0/16")
        let message = try Self.withFile { file in
            try PlanFile.write(plan, to: file)
            let back = try PlanFile.read(from: file)
            return Self.refusal { try PlanBinding.check(back, file: file.path) }
        }
        #expect(
            message?.contains(#"module.network.aws_vpc.vpc.cidr_block is "10.99.0.0/16" in the plan, "10.10.0.0/16" in the stack"#) == true,
            "\(message ?? "accepted")")
        #expect(message?.contains("nothing was sent") == true)
    }

    @Test func aPlanOfAnotherStackOrRegionThanItsProgramIsRefusedNamingBoth() throws {
        var plan = try Self.demoPlan()
        plan.stack = "prod"
        #expect(Self.refusal { try PlanBinding.check(plan, file: "x.plan") }?.contains("a plan of stack prod in us-east-1, but") == true)
        plan.stack = "demo"
        plan.region = "eu-west-1"
        let message = Self.refusal { try PlanBinding.check(plan, file: "x.plan") }
        #expect(
            message?.contains("stack demo in eu-west-1, but") == true
                && message?.contains("its program is stack demo in us-east-1") == true, "\(message ?? "accepted")")
        plan.program = nil
        #expect(Self.refusal { try PlanBinding.check(plan, file: "x.plan") }?.contains("x.plan carries no program") == true)
    }

    @Test func aDeletionOfADeclaredResourceIsRefused() throws {
        var plan = try Self.demoPlan()
        let index = try #require(plan.changes.firstIndex { $0.address == Self.vpc })
        plan.changes[index].action = .delete
        plan.changes[index].after = nil
        let message = Self.refusal { try PlanBinding.check(plan, file: "x.plan") }
        #expect(
            message?.contains("module.network.aws_vpc.vpc is planned for deletion, but the stack declares it") == true,
            "\(message ?? "accepted")")
    }

    /// With STRATA_PLAN_KEY the digest is an HMAC: a file re-sealed without the key, a signed
    /// file read without it or with another, and an unsigned file read with it are refused.
    @Test func signedPlansNeedTheirKey() throws {
        let plan = try Self.demoPlan()
        let key = try PlanKey.from(environment: [PlanKey.variable: "a-long-random-secret-for-tests"])
        let other = try PlanKey.from(environment: [PlanKey.variable: "another-long-random-secret"])
        try Self.withFile { file in
            try PlanFile.write(plan, to: file, key: key)
            #expect(try PlanFile.read(from: file, key: key).changes == plan.changes)
            #expect(Self.refusal { _ = try PlanFile.read(from: file) }?.contains("set STRATA_PLAN_KEY") == true)
            #expect(Self.refusal { _ = try PlanFile.read(from: file, key: other) }?.contains("does not match its signature") == true)

            // Edited, and sealed again as an editor without the key can: unsigned, so refused.
            var edited = plan
            edited.stack = "someone-elses"
            try PlanFile.write(edited, to: file)
            #expect(
                Self.refusal { _ = try PlanFile.read(from: file, key: key) }?.contains("is not signed, but STRATA_PLAN_KEY is set") == true)
        }
        #expect(
            Self.refusal { _ = try PlanKey.from(environment: [PlanKey.variable: "short"]) }?.contains("STRATA_PLAN_KEY is set but shorter")
                == true)
        #expect(try PlanKey.from(environment: [PlanKey.variable: ""]) == nil)
    }

    /// Changes added or removed, and the record itself edited, are named as such.
    @Test func addedRemovedAndRecordEditsAreNamed() throws {
        let plan = try Self.demoPlan()
        try Self.withFile { file in
            try PlanFile.write(plan, to: file)
            var document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            var changes = try #require(document["changes"] as? [[String: Any]])
            let removed = try #require(changes.first?["address"] as? String)
            changes.removeFirst()
            document["changes"] = changes
            try JSONSerialization.data(withJSONObject: document).write(to: file)
            #expect(Self.refusal { _ = try PlanFile.read(from: file) }?.contains("\(removed): removed") == true)

            try PlanFile.write(plan, to: file)
            document = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            var integrity = try #require(document["integrity"] as? [String: Any])
            integrity["digest"] = String(repeating: "0", count: 64)
            document["integrity"] = integrity
            try JSONSerialization.data(withJSONObject: document).write(to: file)
            #expect(Self.refusal { _ = try PlanFile.read(from: file) }?.contains("the integrity record itself was edited") == true)

            document.removeValue(forKey: "integrity")
            try JSONSerialization.data(withJSONObject: document).write(to: file)
            #expect(Self.refusal { _ = try PlanFile.read(from: file) }?.contains("has no integrity record") == true)
        }
    }
}

extension PlanIntegrityTests {
    /// A plan made in one account is not applied with another's credentials (one STS read).
    @Test func aPlanOfAnotherAccountIsRefusedNamingBoth() async throws {
        var plan = try Self.demoPlan()
        plan.dataSources.accountID = "999999999999"
        let client = try await Sandbox.shared().client()
        do {
            try await PlanBinding.checkAccount(plan, file: "x.plan", client: client)
            Issue.record("a plan of account 999999999999 was accepted")
        } catch {
            #expect("\(error)".contains("made in account 999999999999"), "\(error)")
            #expect("\(error)".contains("credentials are for account 123456789012"), "\(error)")
        }
        plan.dataSources.accountID = "123456789012"
        try await PlanBinding.checkAccount(plan, file: "x.plan", client: client)
    }
}

extension PlanIntegrityTests {
    /// The live fingerprint covers what discovery finds, not the ids the changes name: a change
    /// pointed at a resource that is not the stack's is refused, naming it.
    @Test func aChangeActingOnAResourceDiscoveryDidNotFindIsRefused() async throws {
        let harness = try await PlannerHarness.make(text: PlannerHarness.core)
        defer { harness.stack.remove() }
        try await harness.carryOut(try await harness.plan())
        var plan = try await harness.plan()
        try await harness.planner.verifyUnchanged(plan)
        let index = try #require(plan.changes.firstIndex { $0.type == "aws_vpc" })
        plan.changes[index].action = .delete
        plan.changes[index].live?.id = "vpc-0someone0else"
        do {
            try await harness.planner.verifyUnchanged(plan)
            Issue.record("a change acting on vpc-0someone0else was accepted")
        } catch {
            #expect("\(error)".contains("\(plan.changes[index].address) names aws_vpc vpc-0someone0else"), "\(error)")
        }
    }
}
