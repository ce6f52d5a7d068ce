import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// Checks a saved plan against the stack files it was made from, before anything is sent: the
/// files compile, they are the same stack in the same region, and every value the plan knew
/// comes out of them the same. A digest only says the file is as written; this says it is what
/// the stack asks for, so a plan whose digest was recomputed after an edit (a trust policy
/// opened to `"*"`, a CIDR changed) is refused too, naming each attribute.
public enum PlanBinding {
    /// Throws ``PlanError/planFile(_:)`` naming every difference. `file` names the plan file in
    /// messages.
    public static func check(_ plan: Plan, file: String, catalog: [String: ResourceSchema] = ResourceCatalog.all) throws {
        let stackURL = URL(fileURLWithPath: plan.stackPath)
        guard FileManager.default.fileExists(atPath: plan.stackPath) else {
            throw PlanError.planFile(
                "\(file) was made from \(plan.stackPath), which is not there: apply checks a plan against its stack files, "
                    + "so run it where they are; nothing was sent")
        }
        // The live values the plan saw, as apply starts from them (``Applier``'s first state).
        var live: [ResourceAddress: [String: Value]] = [:]
        for change in plan.changes where change.action != .delete {
            if let resource = change.live { live[change.address] = resource.attributes }
        }
        let result = Compiler(catalog: catalog).compile(stackAt: stackURL, vars: plan.vars, live: live)
        guard let graph = result.graph, !result.hasErrors else {
            let summaries = result.diagnostics.filter { $0.severity == .error }.map { ($0.span.map { "\($0): " } ?? "") + $0.summary }
            throw PlanError.planFile(
                "\(file) was made from \(plan.stackPath), which does not compile now: \(summaries.joined(separator: "; ")); nothing was sent")
        }
        guard graph.stack == plan.stack, graph.region == plan.region else {
            throw PlanError.planFile(
                "\(file) is a plan of stack \(plan.stack) in \(plan.region), but \(plan.stackPath) is stack \(graph.stack) in "
                    + "\(graph.region): refusing to apply it; nothing was sent")
        }
        let differences = self.differences(plan, graph)
        guard differences.isEmpty else {
            throw PlanError.planFile(
                "\(file) plans values \(plan.stackPath) does not compile to (the plan file was edited, or the stack files changed "
                    + "since the plan): \(differences.joined(separator: "; ")). Refusing to apply it; nothing was sent. Plan again")
        }
    }

    /// The account the credentials are for must be the one the plan was made in (one STS
    /// GetCallerIdentity, a read): the same stack applied with another account's credentials
    /// would create it there.
    public static func checkAccount(_ plan: Plan, file: String, client: AWSClient) async throws {
        guard let planned = plan.dataSources.accountID else { return }
        let caller = try await Discovery.caller(client)
        guard caller.account != planned else { return }
        throw PlanError.planFile(
            "\(file) was made in account \(planned) (\(plan.dataSources.callerArn ?? "caller unknown")), but the credentials are for "
                + "account \(caller.account ?? "unknown") (\(caller.arn ?? "caller unknown")): refusing to apply it; nothing was changed")
    }

    /// Each planned value that differs from the compiled stack's, and each deletion of a
    /// resource the stack declares (a plan deletes one only as a duplicate of a kept one).
    static func differences(_ plan: Plan, _ graph: CompiledGraph) -> [String] {
        var out: [String] = []
        let kept = Set(plan.changes.filter { $0.action != .delete }.map(\.address))
        for change in plan.changes {
            if change.action == .delete {
                if graph.resources[change.address] != nil && !kept.contains(change.address) {
                    out.append("\(change.address) is planned for deletion, but the stack declares it")
                }
                continue
            }
            guard let planned = change.after else { continue }
            guard let instance = graph.resources[change.address] else {
                out.append("\(change.address) is in the plan but not in the stack")
                continue
            }
            for (name, value) in planned.sorted(by: { $0.key < $1.key }) where value.isKnown && !change.sensitiveAttributes.covers(name) {
                let compiled = instance.attributes[name]
                guard compiled != value else { continue }
                out.append("\(change.address).\(name) is \(excerpt(value)) in the plan, \(compiled.map(excerpt) ?? "not set") in the stack")
            }
        }
        return out
    }

    /// A value as one short line for a message.
    private static func excerpt(_ value: Value) -> String {
        let text = CanonicalText.of(value)
        return text.count > 120 ? text.prefix(117) + "..." : text
    }
}
