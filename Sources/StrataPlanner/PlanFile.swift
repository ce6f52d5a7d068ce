import Foundation
import StrataCompiler
import StrataProviders

/// Saved plans (`strata plan --out FILE`): JSON, readable only by the owner (mode 0600), with
/// every sensitive value replaced by `{"$sensitive": true}` and every `--var` value by a salted
/// digest, so no secret is written to disk. `strata apply FILE --var ...` reads it back, checks
/// the `--var` values are the planned ones (``Plan/givenVars(_:)``) and the live state is
/// unchanged (``Planner/verifyUnchanged(_:)``), and resolves redacted and unknown values against
/// the stack files with ``DesiredResolver``.
public enum PlanFile {
    public static func write(_ plan: Plan, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(redacted(plan)) + Data("\n".utf8)
        let manager = FileManager.default
        // Written whole to a file beside it, then renamed over it: a run killed or crashing
        // half-way leaves the previous plan file (or none), never half of one. Created 0600
        // before anything is written, so the content is never readable by others.
        let partial = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).partial")
        guard manager.createFile(atPath: partial.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw PlanError.planFile("cannot create plan file \(url.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: partial)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
            guard rename(partial.path, url.path) == 0 else {
                throw PlanError.planFile("cannot write plan file \(url.path): \(String(cString: strerror(errno)))")
            }
        } catch {
            try? manager.removeItem(at: partial)
            throw error
        }
    }

    public static func read(from url: URL) throws -> Plan {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PlanError.planFile("cannot read plan file \(url.path): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let plan: Plan
        do {
            plan = try decoder.decode(Plan.self, from: data)
        } catch {
            throw PlanError.planFile("\(url.path) is not a strata plan file: \(error)")
        }
        guard plan.formatVersion == Plan.formatVersion else {
            throw PlanError.planFile(
                "\(url.path) is a plan file of format \(plan.formatVersion); this strata reads format \(Plan.formatVersion): plan again")
        }
        return plan
    }

    /// Whether a file holds a saved plan rather than a stack (what `strata apply X` asks).
    /// A JSON object holding `liveFingerprint` and `formatVersion` (keys are sorted, so they
    /// come after the changes: the whole file is read).
    public static func looksLikePlan(_ url: URL) -> Bool {
        guard let data = try? Data(contentsOf: url),
            data.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{")
        else { return false }
        let text = String(decoding: data, as: UTF8.self)
        return text.contains("\"liveFingerprint\"") && text.contains("\"formatVersion\"")
    }

    /// The plan with sensitive attributes' values replaced by the redaction marker.
    static func redacted(_ plan: Plan) -> RedactedPlan { RedactedPlan(plan: plan) }
}

/// Encodes a plan with sensitive values redacted and `--var` values digested (decodes as a
/// normal ``Plan``: redacted values come back as unknown, so nothing can send them, and `vars`
/// empty until ``Plan/givenVars(_:)``).
struct RedactedPlan: Encodable {
    var plan: Plan

    func encode(to encoder: Encoder) throws {
        var copy = plan
        copy.changes = plan.changes.map(\.redacted)
        for name in plan.sensitiveOutputs where copy.outputs[name] != nil { copy.outputs[name] = .sensitivePlaceholder }
        copy.vars = [:]
        copy.varDigests = plan.vars.mapValues(VarDigest.make)
        try copy.encode(to: encoder)
    }
}

extension Plan {
    /// This plan read from a file, with the `--var` values of the `apply` that applies it: they
    /// must be exactly the planned ones (the same names, each matching its digest), since the
    /// stack is compiled again with them to resolve what the plan knew only after apply.
    /// Refusing beats applying a plan whose secrets are not the ones it was made with.
    public func givenVars(_ given: [String: String]) throws -> Plan {
        var copy = self
        guard !varDigests.isEmpty || !given.isEmpty else { return copy }
        let missing = Set(varDigests.keys).subtracting(given.keys).sorted()
        let extra = Set(given.keys).subtracting(varDigests.keys).sorted()
        let different = given.keys.filter { name in varDigests[name].map { !VarDigest.matches($0, given[name] ?? "") } ?? false }.sorted()
        var problems: [String] = []
        if !missing.isEmpty { problems.append("it was made with " + missing.map { "--var \($0)=…" }.joined(separator: ", ") + ", not given now") }
        if !extra.isEmpty { problems.append("it was made without " + extra.map { "--var \($0)" }.joined(separator: ", ")) }
        if !different.isEmpty { problems.append("the value of " + different.map { "--var \($0)" }.joined(separator: ", ") + " differs from the planned one") }
        guard problems.isEmpty else {
            throw PlanError.planFile(
                "the plan file's variables do not match: \(problems.joined(separator: "; ")). A plan file keeps no --var values: give the ones it was planned with, or plan again")
        }
        copy.vars = given
        return copy
    }
}

/// Resolves a plan's desired resources at apply time: compiles the plan's stack again with the
/// live attributes of what exists by then (created earlier in the same apply), so values the
/// plan knew only as "known after apply" (a new VPC's id) and values redacted from a plan file
/// become known. Never re-decides: a value the plan knew must come out the same, or the stack
/// files changed since the plan and resolving fails.
public struct DesiredResolver: Sendable {
    public var plan: Plan
    public var catalog: [String: ResourceSchema]

    public init(plan: Plan, catalog: [String: ResourceSchema] = ResourceCatalog.all) {
        self.plan = plan
        self.catalog = catalog
    }

    /// Desired resources for every create, update and replace of the plan, with `live` (address
    /// → live attributes) used for references. Attributes may still be unknown where they depend
    /// on something not yet in `live`.
    public func resolve(live: [ResourceAddress: [String: Value]]) throws -> [ResourceAddress: DesiredResource] {
        let result = Compiler(catalog: catalog).compile(
            stackAt: URL(fileURLWithPath: plan.stackPath), vars: plan.vars, live: live)
        guard let graph = result.graph, !result.hasErrors else {
            throw PlanError.compileWithLiveValues(result.diagnostics.filter { $0.severity == .error }.map(\.summary))
        }
        var out: [ResourceAddress: DesiredResource] = [:]
        for change in plan.changes where change.action == .create || change.action == .update || change.action == .replace {
            guard let instance = graph.resources[change.address], let planned = change.after else {
                throw PlanError.planFile("\(change.address) is in the plan but no longer in \(plan.stackPath): plan again")
            }
            for (name, value) in planned where value.isKnown && !change.sensitiveAttributes.covers(name) {
                guard let now = instance.attributes[name], now == value else {
                    throw PlanError.planFile(
                        "\(change.address).\(name) differs from the plan: \(plan.stackPath) changed since it was planned; plan again")
                }
            }
            out[change.address] = DesiredResource(
                address: change.address, type: change.type, attributes: instance.attributes,
                tags: (instance.attributes["tags_all"]?.stringMap).map { $0.isEmpty ? change.desiredTags : $0 } ?? change.desiredTags,
                idempotencyToken: change.idempotencyToken
                    ?? IdempotencyToken.derive(stack: plan.stack, address: change.address, attributes: planned))
        }
        return out
    }
}
