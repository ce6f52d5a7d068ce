import AWSClient
import StrataCompiler
import StrataModel
import StrataProviders

/// Checks a saved plan against the program it carries, before anything is sent: the program
/// evaluates (with the plan's `--var` values and the live values it saw), it is the same stack in
/// the same region, and every value the plan knew comes out of it the same. The stack files are
/// not read (a saved plan applies where they are not, as Terraform's do); a digest only says the
/// file is as written, this says its changes are what its program asks for, so a plan whose
/// changes were edited and its plain digest recomputed (a trust policy opened to `"*"`, a CIDR
/// changed) is refused unless the program was rewritten to match.
public enum PlanBinding {
    /// Throws ``PlanError/planFile(_:)`` naming every difference. `file` names the plan file in
    /// messages; `program` is the plan's own (``Plan/carriedProgram(file:)``), when the caller
    /// decoded it already.
    public static func check(
        _ plan: Plan, file: String, program: Program? = nil, catalog: [String: ResourceSchema] = ResourceCatalog.all
    ) throws {
        let program = try program ?? plan.carriedProgram(file: file)
        // The live values the plan saw, as apply starts from them (``Applier``'s first state).
        var live: [ResourceAddress: [String: Value]] = [:]
        for change in plan.changes where change.action != .delete {
            if let resource = change.live { live[change.address] = resource.attributes }
        }
        let result = program.evaluate(vars: plan.vars, live: live, catalog: catalog)
        guard let graph = result.graph, !result.hasErrors else {
            let summaries = result.diagnostics.filter { $0.severity == .error }.map { ($0.span.map { "\($0): " } ?? "") + $0.summary }
            throw PlanError.planFile(
                "\(file) carries a program that does not evaluate: \(summaries.joined(separator: "; ")); nothing was sent")
        }
        guard graph.stack == plan.stack, graph.region == plan.region else {
            throw PlanError.planFile(
                "\(file) is a plan of stack \(plan.stack) in \(plan.region), but its program is stack \(graph.stack) in "
                    + "\(graph.region): refusing to apply it; nothing was sent")
        }
        // A destroy plan deletes what the stack declares, by design: it plans no value.
        let differences = plan.isDestroy ? [] : self.differences(plan, graph)
        guard differences.isEmpty else {
            throw PlanError.planFile(
                "\(file) plans values its program does not evaluate to (the plan file was edited): "
                    + "\(differences.joined(separator: "; ")). Refusing to apply it; nothing was sent. Plan again")
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
