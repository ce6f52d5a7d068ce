import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// Saved plans (`strata plan --out FILE`): JSON, readable only by the owner (mode 0600), with
/// every sensitive value replaced by `{"$sensitive": true}` and every `--var` value by a salted
/// digest, so no secret is written to disk, and an integrity record (``PlanIntegrity``) that
/// `read` checks before anything else. `strata apply FILE --var ...` reads it back, checks the
/// `--var` values are the planned ones (``Plan/givenVars(_:)``), checks its changes against the
/// program it carries (``PlanBinding``) and that the live state is unchanged
/// (``Planner/verifyUnchanged(_:)``), and resolves redacted and unknown values by evaluating
/// that program with ``DesiredResolver``: no stack file is read.
public enum PlanFile {
    /// Writes `plan` to `url`, signed with `key` (``PlanKey``) if given.
    public static func write(_ plan: Plan, to url: URL, key: PlanKey? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Redacted once (the --var digests are salted at random); the record covers the plan as
        // `read` will decode it (redacted values as unknown).
        let written = redacted(plan).written
        let integrity = try PlanIntegrity.of(try decoder().decode(Plan.self, from: encoder.encode(written)), key: key)
        let data = try encoder.encode(SealedPlan(plan: written, integrity: integrity)) + Data("\n".utf8)
        let manager = FileManager.default
        // Written whole to a file beside it, then renamed over it: a run killed or crashing
        // half-way leaves the previous plan file (or none), never half of one. Created 0600
        // before anything is written, so the content is never readable by others.
        let partial = url.deletingLastPathComponent().appendingPathComponent(
            ".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).partial")
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

    /// Reads the plan at `url` and checks its integrity record (with `key`, if the plans are
    /// signed): a file edited, truncated or signed otherwise is refused, naming what differs.
    public static func read(from url: URL, key: PlanKey? = nil) throws -> Plan {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PlanError.planFile("cannot read plan file \(url.path): \(error.localizedDescription)")
        }
        let plan: Plan
        let sealed: SealedPlan.Record
        do {
            plan = try decoder().decode(Plan.self, from: data)
            sealed = try decoder().decode(SealedPlan.Record.self, from: data)
        } catch let error as DecodingError {
            throw PlanError.planFile("\(url.path) is not a whole strata plan file: \(describe(error)); nothing was sent")
        }
        guard plan.formatVersion == Plan.formatVersion else {
            throw PlanError.planFile(
                "\(url.path) is a plan file of format \(plan.formatVersion); this strata reads format \(Plan.formatVersion): plan again")
        }
        guard let integrity = sealed.integrity else {
            throw PlanError.planFile(
                "\(url.path) has no integrity record (written by an older strata, or removed): plan again; nothing was sent")
        }
        try integrity.verify(plan, key: key, file: url.path)
        return plan
    }

    private static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Where and why the JSON does not decode as a plan (`changes[3].action: ...`).
    private static func describe(_ error: DecodingError) -> String {
        let (path, reason): ([any CodingKey], String) =
            switch error {
            case .dataCorrupted(let context): (context.codingPath, context.debugDescription)
            case .keyNotFound(let key, let context): (context.codingPath + [key], "missing")
            case .typeMismatch(_, let context), .valueNotFound(_, let context): (context.codingPath, context.debugDescription)
            @unknown default: ([], "\(error)")
            }
        guard !path.isEmpty else { return "\(reason) (truncated, or not JSON)" }
        let name = path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
        return "\(name): \(reason)"
    }

    /// Whether a file holds a saved plan rather than a stack (what `strata apply X` asks).
    /// A JSON object holding `liveFingerprint` and `formatVersion` (keys are sorted, so they
    /// come after the changes: the whole file is read), or opening with `"changes"` as every
    /// plan file does: a truncated plan is refused as a plan, not read as a stack.
    public static func looksLikePlan(_ url: URL) -> Bool {
        guard let data = try? Data(contentsOf: url),
            data.first(where: { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }) == UInt8(ascii: "{")
        else { return false }
        let text = String(decoding: data, as: UTF8.self)
        let opening = text.dropFirst().drop { $0.isWhitespace }
        return opening.hasPrefix("\"changes\"") || (text.contains("\"liveFingerprint\"") && text.contains("\"formatVersion\""))
    }

    /// The plan with sensitive attributes' values replaced by the redaction marker.
    static func redacted(_ plan: Plan) -> RedactedPlan { RedactedPlan(plan: plan) }
}

/// A plan file's content: the redacted plan's fields and, beside them, `integrity`.
struct SealedPlan: Encodable {
    /// Already redacted (``RedactedPlan/written``).
    var plan: Plan
    var integrity: PlanIntegrity

    /// The integrity record alone, read back (nil in files from before it existed).
    struct Record: Decodable {
        var integrity: PlanIntegrity?
    }

    private enum Key: String, CodingKey { case integrity }

    func encode(to encoder: Encoder) throws {
        try plan.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(integrity, forKey: .integrity)
    }
}

/// A plan with sensitive values redacted and `--var` values digested, as a file holds it (decodes
/// as a normal ``Plan``: redacted values come back as unknown, so nothing can send them, and `vars`
/// empty until ``Plan/givenVars(_:)``).
struct RedactedPlan {
    var plan: Plan

    /// The plan as a file holds it: a new value each time (each var digest has a new salt).
    var written: Plan {
        var copy = plan
        copy.changes = plan.changes.map(\.redacted)
        for name in plan.sensitiveOutputs where copy.outputs[name] != nil { copy.outputs[name] = .sensitivePlaceholder }
        copy.vars = [:]
        copy.varDigests = plan.vars.mapValues(VarDigest.make)
        return copy
    }
}

extension Plan {
    /// This plan read from a file, with the `--var` values of the `apply` that applies it: they
    /// must be exactly the planned ones (the same names, each matching its digest), since the
    /// plan's program is evaluated again with them to resolve what the plan knew only after apply.
    /// Refusing beats applying a plan whose secrets are not the ones it was made with.
    public func givenVars(_ given: [String: String]) throws -> Plan {
        var copy = self
        guard !varDigests.isEmpty || !given.isEmpty else { return copy }
        let missing = Set(varDigests.keys).subtracting(given.keys).sorted()
        let extra = Set(given.keys).subtracting(varDigests.keys).sorted()
        let different = given.keys.filter { name in varDigests[name].map { !VarDigest.matches($0, given[name] ?? "") } ?? false }.sorted()
        var problems: [String] = []
        if !missing.isEmpty {
            problems.append("it was made with " + missing.map { "--var \($0)=…" }.joined(separator: ", ") + ", not given now")
        }
        if !extra.isEmpty { problems.append("it was made without " + extra.map { "--var \($0)" }.joined(separator: ", ")) }
        if !different.isEmpty {
            problems.append("the value of " + different.map { "--var \($0)" }.joined(separator: ", ") + " differs from the planned one")
        }
        guard problems.isEmpty else {
            throw PlanError.planFile(
                "the plan file's variables do not match: \(problems.joined(separator: "; ")). A plan file keeps no --var values: give the ones it was planned with, or plan again"
            )
        }
        copy.vars = given
        return copy
    }
}

extension Plan {
    /// The ``program`` the plan carries, decoded; `file` names the plan in messages.
    public func carriedProgram(file: String) throws -> Program {
        guard let program else {
            throw PlanError.planFile("\(file) carries no program to evaluate (it was not made by `strata plan`): plan again")
        }
        do {
            return try Program(jsonText: program)
        } catch {
            throw PlanError.planFile("\(file) carries a program this strata cannot read (\(error)): plan again")
        }
    }
}

/// Resolves a plan's desired resources at apply time: evaluates the plan's program again with
/// the live attributes of what exists by then (created earlier in the same apply), so values the
/// plan knew only as "known after apply" (a new VPC's id) and values redacted from a plan file
/// become known. Never re-decides: a value the plan knew must come out the same, or resolving
/// fails. Reads no file.
public struct DesiredResolver: Sendable {
    public var plan: Plan
    public var catalog: [String: ResourceSchema]
    /// Decoded once, or given (the program the command compiled or already decoded): an apply
    /// resolves after every create that others wait on.
    private let program: Result<Program, PlanError>

    public init(plan: Plan, program: Program? = nil, catalog: [String: ResourceSchema] = ResourceCatalog.all) {
        self.plan = plan
        self.catalog = catalog
        self.program =
            program.map { .success($0) }
            ?? Result { try plan.carriedProgram(file: "the plan") }.mapError { $0 as? PlanError ?? .planFile("\($0)") }
    }

    /// Desired resources for every create, update and replace of the plan, with `live` (address
    /// → live attributes) used for references. Attributes may still be unknown where they depend
    /// on something not yet in `live`.
    public func resolve(live: [ResourceAddress: [String: Value]]) throws -> [ResourceAddress: DesiredResource] {
        let result = try program.get().evaluate(vars: plan.vars, live: live, catalog: catalog)
        guard let graph = result.graph, !result.hasErrors else {
            throw PlanError.compileWithLiveValues(result.renderedErrors)
        }
        var out: [ResourceAddress: DesiredResource] = [:]
        for change in plan.changes where change.action == .create || change.action == .update || change.action == .replace {
            guard let instance = graph.resources[change.address], let planned = change.after else {
                throw PlanError.planFile("\(change.address) is in the plan but not in its program: plan again")
            }
            for (name, value) in planned where value.isKnown && !change.sensitiveAttributes.covers(name) {
                guard let now = instance.attributes[name], now == value else {
                    throw PlanError.planFile(
                        "\(change.address).\(name) differs from the plan: its program evaluates to another value; plan again")
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
