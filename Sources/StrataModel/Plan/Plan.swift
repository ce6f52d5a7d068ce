import Foundation

/// What a plan does to one resource.
public enum ChangeAction: String, Sendable, Codable, CaseIterable {
    case create, update, replace, delete, noop

    /// Terraform's `change.actions` for this action (replace is delete-then-create unless the
    /// change creates before it destroys).
    public func terraformActions(createBeforeDestroy: Bool) -> [String] {
        switch self {
        case .create: ["create"]
        case .update: ["update"]
        case .replace: createBeforeDestroy ? ["create", "delete"] : ["delete", "create"]
        case .delete: ["delete"]
        case .noop: ["no-op"]
        }
    }
}

/// One resource's planned change: what is live, what the stack wants, and why.
public struct ResourceChange: Sendable, Codable, Equatable {
    public var address: ResourceAddress
    public var type: String
    public var plane: Plane
    public var action: ChangeAction
    /// The live attributes (nil for a create).
    public var before: [String: Value]?
    /// The desired attributes, `.unknown` where known only after apply (nil for a delete).
    public var after: [String: Value]?
    /// Top-level attributes that differ (what an update changes), sorted.
    public var changedAttributes: [String]
    /// Attribute paths (`kubernetes_network_config.service_ipv4_cidr`) whose change forces the
    /// replacement, sorted; empty unless `action == .replace`.
    public var replaceBecause: [String]
    /// The live resource the change acts on (nil for a create).
    public var live: LiveResource?
    /// Replace by creating the new one first (for types whose names need not be unique).
    public var createBeforeDestroy: Bool
    /// What must exist first (creates and updates) or be gone first (deletes: its dependents).
    public var dependencies: [ResourceAddress]
    /// The idempotency token for a create (or the create half of a replace), derived from stack,
    /// address and desired content as the plan knew it.
    public var idempotencyToken: String?
    /// Paths of attributes whose values are secrets (`password`, `manifest.stringData`), sorted:
    /// shown as `(sensitive value)`, marked in the plan JSON, redacted in plan files.
    public var sensitiveAttributes: [String]
    /// Per attribute the stack set, what its expression referred to, named as Terraform names
    /// references (`aws_kms_key.key.arn`, `aws_kms_key.key`, `var.subnets`): the plan JSON's
    /// `configuration`. Nil in plan files written before strata recorded them.
    public var references: [String: [String]]?
    /// The stack block the change comes from (nil for a deletion of something the stack no
    /// longer declares), and where each attribute the stack set was written: what an error
    /// about the resource or one of its attributes points at.
    public var span: SourceSpan?
    public var attributeSpans: [String: SourceSpan]?

    public init(
        address: ResourceAddress, type: String, plane: Plane, action: ChangeAction, before: [String: Value]?,
        after: [String: Value]?, changedAttributes: [String] = [], replaceBecause: [String] = [],
        live: LiveResource? = nil, createBeforeDestroy: Bool = false, dependencies: [ResourceAddress] = [],
        idempotencyToken: String? = nil, sensitiveAttributes: [String] = [], references: [String: [String]]? = nil,
        span: SourceSpan? = nil, attributeSpans: [String: SourceSpan]? = nil
    ) {
        self.address = address
        self.type = type
        self.plane = plane
        self.action = action
        self.before = before
        self.after = after
        self.changedAttributes = changedAttributes
        self.replaceBecause = replaceBecause
        self.live = live
        self.createBeforeDestroy = createBeforeDestroy
        self.dependencies = dependencies
        self.idempotencyToken = idempotencyToken
        self.sensitiveAttributes = sensitiveAttributes
        self.references = references
        self.span = span
        self.attributeSpans = attributeSpans
    }

    /// This change with every secret of `before`, `after` and the live attributes replaced by
    /// ``Value/sensitivePlaceholder``: what may be printed or written down.
    public var redacted: ResourceChange {
        guard !sensitiveAttributes.isEmpty else { return self }
        var copy = self
        copy.before = before?.redacting(sensitiveAttributes)
        copy.after = after?.redacting(sensitiveAttributes)
        copy.live?.attributes = live?.attributes.redacting(sensitiveAttributes) ?? [:]
        return copy
    }

    /// The secrets' texts in `before`, `after` and the live attributes (``secretTexts(at:)``).
    public var secretTexts: Set<String> {
        guard !sensitiveAttributes.isEmpty else { return [] }
        return [before, after, live?.attributes].reduce(into: Set<String>()) { texts, attributes in
            texts.formUnion(attributes?.secretTexts(at: sensitiveAttributes) ?? [])
        }
    }

    /// The tags the resource must carry: the stack's tags, its own and the ownership tags (the
    /// desired `tags_all`). Empty for untaggable types.
    public var desiredTags: [String: String] {
        guard let after else { return [:] }
        if let all = after["tags_all"], case .map = all { return all.stringMap }
        return after["tags"]?.stringMap ?? [:]
    }
}

/// Read-only facts about the account the plan used, fetched once per plan.
public struct PlanDataSources: Sendable, Codable, Equatable {
    /// STS GetCallerIdentity.
    public var accountID: String?
    public var callerArn: String?
    /// EC2 DescribeAvailabilityZones (available zones of the region, sorted).
    public var availabilityZones: [String]
    /// SSM `/aws/service/eks/optimized-ami/<version>/amazon-linux-2023/x86_64/standard/recommended/release_version`
    /// for every Kubernetes version in the stack.
    public var eksAMIReleaseVersions: [String: String]

    public init(
        accountID: String? = nil, callerArn: String? = nil, availabilityZones: [String] = [],
        eksAMIReleaseVersions: [String: String] = [:]
    ) {
        self.accountID = accountID
        self.callerArn = callerArn
        self.availabilityZones = availabilityZones
        self.eksAMIReleaseVersions = eksAMIReleaseVersions
    }
}

/// The planner's product: every change, in address order, with what it was computed from. A
/// saved plan is applied only while the live state still has ``liveFingerprint``.
public struct Plan: Sendable, Codable, Equatable {
    /// Bumped when the plan file's shape changes incompatibly (2: `--var` values are no
    /// longer written, only ``varDigests``; 3: the plan carries its ``program``).
    public static let formatVersion = 3

    public var formatVersion: Int
    public var stack: String
    public var region: String
    public var createdAt: Date
    /// The stack path and `--var` overrides the plan was compiled from, so apply can resolve
    /// values known only after earlier creates against the same files. A plan file holds no
    /// `vars`, only their ``varDigests``: `apply PLANFILE` is given them again (``givenVars(_:)``).
    public var stackPath: String
    public var vars: [String: String]
    /// Per `--var` name, a salted SHA-256 of its value (``VarDigest``); written by ``PlanFile``.
    public var varDigests: [String: String]
    /// Variables declared `sensitive: true` and outputs whose values are secrets.
    public var sensitiveVars: [String]
    public var sensitiveOutputs: [String]
    /// Sorted by address.
    public var changes: [ResourceChange]
    public var outputs: [String: Value]
    public var dataSources: PlanDataSources
    /// SHA-256 of the live resources the plan saw (type, id, attributes), hex.
    public var liveFingerprint: String
    /// Ordered steps for a cluster version change; nil when no cluster changes version.
    public var rollouts: [RolloutPlan]
    /// The compiled stack the plan was computed from (the compiler's `Program`, as JSON text):
    /// apply evaluates it to resolve values known only after earlier creates, so a saved plan
    /// needs no stack file. Nil for plans not made from a stack. Text, not a JSON tree: it is
    /// only ever read whole, and a tree of its thousands of small arrays would cost more to
    /// decode and digest than the rest of the plan.
    public var program: String?
    /// A destroy plan (`strata plan --destroy`): every change deletes what the stack owns, and
    /// apply carries it out as `strata destroy` does (the controller sweep between its phases).
    public var isDestroy: Bool

    public init(
        stack: String, region: String, createdAt: Date = Date(), stackPath: String, vars: [String: String] = [:],
        sensitiveVars: Set<String> = [], changes: [ResourceChange], outputs: [String: Value] = [:],
        sensitiveOutputs: Set<String> = [], dataSources: PlanDataSources = PlanDataSources(), liveFingerprint: String,
        rollouts: [RolloutPlan] = [], program: String? = nil, isDestroy: Bool = false
    ) {
        formatVersion = Self.formatVersion
        self.stack = stack
        self.region = region
        self.createdAt = createdAt
        self.stackPath = stackPath
        self.vars = vars
        varDigests = [:]
        self.sensitiveVars = sensitiveVars.sorted()
        self.sensitiveOutputs = sensitiveOutputs.sorted()
        self.changes = changes.sorted { $0.address < $1.address }
        self.outputs = outputs
        self.dataSources = dataSources
        self.liveFingerprint = liveFingerprint
        self.rollouts = rollouts
        self.program = program
        self.isDestroy = isDestroy
    }

    /// The change for `address`, if the plan has one.
    public func change(for address: ResourceAddress) -> ResourceChange? {
        changes.first { $0.address == address }
    }

    /// Changes that do something (everything but no-ops).
    public var actionable: [ResourceChange] { changes.filter { $0.action != .noop } }

    public var hasChanges: Bool { changes.contains { $0.action != .noop } }

    /// Counts for the summary line: creates (replacements count as one add and one destroy).
    public var summary: (add: Int, change: Int, destroy: Int) {
        var add = 0, change = 0, destroy = 0
        for item in changes {
            switch item.action {
            case .create: add += 1
            case .update: change += 1
            case .replace: add += 1; destroy += 1
            case .delete: destroy += 1
            case .noop: break
            }
        }
        return (add, change, destroy)
    }
}
