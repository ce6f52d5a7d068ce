import AWSClient
import StrataModel

/// `aws_cloudwatch_event_target`: where a rule delivers. Untagged, a child of its rule:
/// discovery reads the stack's rules' targets (ListTargetsByRule, already part of the rules'
/// discovery). Identity: bus, rule and target id. PutTargets creates and overwrites alike.
struct CloudWatchEventTargetProvider: ResourceProvider {
    let schema = ResourceSchema.awsCloudWatchEventTarget
    let deletion = DeletionRule(rank: 4, waitsFor: [:])

    func identity(of attributes: [String: Value]) -> String? {
        guard let rule = attributes.string("rule"), let target = attributes.string("target_id") else { return nil }
        return "\(attributes.string("event_bus_name") ?? "default")|\(rule)|\(target)"
    }

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await EventBridge(context).ownedRules().flatMap { state -> [LiveResource] in
            guard let rule = state.rule["Name"]?.stringValue else { return [] }
            let bus = state.rule["EventBusName"]?.stringValue ?? "default"
            return state.targets.compactMap { Self.live($0, rule: rule, bus: bus) }
        }
    }

    static func live(_ target: JSONValue, rule: String, bus: String) -> LiveResource? {
        guard let id = target["Id"]?.stringValue, let arn = target["Arn"]?.stringValue else { return nil }
        var attributes: [String: Value] = [
            "id": .string("\(rule)-\(id)"), "rule": .string(rule), "target_id": .string(id), "arn": .string(arn),
            "event_bus_name": .string(bus),
        ]
        if let role = target["RoleArn"]?.stringValue { attributes["role_arn"] = .string(role) }
        if let input = target["Input"]?.stringValue { attributes["input"] = PolicyDocument.live(input) }
        if let path = target["InputPath"]?.stringValue { attributes["input_path"] = .string(path) }
        if let transformer = target["InputTransformer"] {
            var block: [String: Value] = ["input_template": .string(transformer["InputTemplate"]?.stringValue ?? "")]
            if case .object(let paths)? = transformer["InputPathsMap"] {
                block["input_paths"] = .map(paths.compactMapValues { $0.stringValue.map(Value.string) })
            }
            attributes["input_transformer"] = .map(block)
        }
        if let dlq = target["DeadLetterConfig"]?["Arn"]?.stringValue { attributes["dead_letter_config"] = .map(["arn": .string(dlq)]) }
        if let retry = target["RetryPolicy"] {
            var block: [String: Value] = [:]
            if let age = retry["MaximumEventAgeInSeconds"]?.intValue { block["maximum_event_age_in_seconds"] = .int(Int(age)) }
            if let attempts = retry["MaximumRetryAttempts"]?.intValue { block["maximum_retry_attempts"] = .int(Int(attempts)) }
            attributes["retry_policy"] = .map(block)
        }
        if let group = target["SqsParameters"]?["MessageGroupId"]?.stringValue {
            attributes["sqs_target"] = .map(["message_group_id": .string(group)])
        }
        return LiveResource(
            type: "aws_cloudwatch_event_target", address: nil, id: "\(rule)-\(id)", identity: "\(bus)|\(rule)|\(id)",
            attributes: attributes,
            parent: LiveResource.Parent(type: "aws_cloudwatch_event_rule", id: bus == "default" ? rule : "\(bus)/\(rule)"))
    }

    /// A nested block as the stack gives it: a map, or a one-element list of one.
    static func block(_ value: Value?) -> [String: Value]? {
        switch value {
        case .map(let members)?: return members
        case .list(let items)?: if case .map(let members)? = items.first { return members }
        default: break
        }
        return nil
    }

    /// One `Target` of PutTargets from the desired attributes.
    static func target(_ desired: DesiredResource, id: String) throws -> JSONValue {
        let a = desired.attributes
        var target: [String: JSONValue] = ["Id": .string(id), "Arn": .string(try desired.required("arn"))]
        if let role = a.string("role_arn") { target["RoleArn"] = .string(role) }
        if let input = try PolicyDocument.canonical(a["input"], type: desired.type, attribute: "input") { target["Input"] = .string(input) }
        if let path = a.string("input_path") { target["InputPath"] = .string(path) }
        if let block = block(a["input_transformer"]) {
            var transformer: [String: JSONValue] = ["InputTemplate": .string(block.string("input_template") ?? "")]
            let paths = block["input_paths"]?.stringMap ?? [:]
            if !paths.isEmpty { transformer["InputPathsMap"] = .object(paths.mapValues(JSONValue.string)) }
            target["InputTransformer"] = .object(transformer)
        }
        if let dlq = block(a["dead_letter_config"])?.string("arn") { target["DeadLetterConfig"] = ["Arn": .string(dlq)] }
        if let retry = block(a["retry_policy"]) {
            var policy: [String: JSONValue] = [:]
            if let age = retry.int("maximum_event_age_in_seconds") { policy["MaximumEventAgeInSeconds"] = .int(age) }
            if let attempts = retry.int("maximum_retry_attempts") { policy["MaximumRetryAttempts"] = .int(attempts) }
            target["RetryPolicy"] = .object(policy)
        }
        if let group = block(a["sqs_target"])?.string("message_group_id") { target["SqsParameters"] = ["MessageGroupId": .string(group)] }
        return .object(target)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let events = EventBridge(context)
        let rule = try desired.required("rule")
        let bus = desired.attributes.string("event_bus_name") ?? "default"
        let id =
            try desired.attributes.string("target_id")
            ?? GeneratedName.name(
                DesiredResource(
                    address: desired.address, type: type, attributes: [:], tags: [:], idempotencyToken: desired.idempotencyToken),
                maxLength: 64)
        let answer = try await events.calls.call(
            "PutTargets", ["Rule": .string(rule), "EventBusName": .string(bus), "Targets": [try Self.target(desired, id: id)]],
            idempotent: true)
        await events.invalidate()
        if let failed = answer["FailedEntries"]?.arrayValue?.first, (answer["FailedEntryCount"]?.intValue ?? 0) > 0 {
            throw AWSError(
                service: "events", code: failed["ErrorCode"]?.stringValue ?? "PutTargetsFailed",
                message: "target \(id) of rule \(rule): \(failed["ErrorMessage"]?.stringValue ?? "rejected")", httpStatus: 200,
                requestID: nil)
        }
        let stored = try await events.targets(rule: rule, bus: bus).first { $0["Id"]?.stringValue == id }
        guard let stored, let live = Self.live(stored, rule: rule, bus: bus) else {
            throw ProviderError.invalidAttribute(
                type: type, attribute: "target_id", problem: "PutTargets succeeded but rule \(rule) does not list \(id)")
        }
        return live
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        var desired = desired
        if desired.attributes.string("target_id") == nil, let id = live.attributes.string("target_id") {
            desired.attributes["target_id"] = .string(id)
        }
        let created = try await create(desired, context)
        if created.identity != live.identity { try await delete(live, context) }
        return created
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        guard let rule = live.attributes.string("rule"), let id = live.attributes.string("target_id") else { return }
        let events = EventBridge(context)
        do {
            try await events.calls.call(
                "RemoveTargets",
                [
                    "Rule": .string(rule), "EventBusName": .string(live.attributes.string("event_bus_name") ?? "default"),
                    "Ids": [.string(id)],
                ],
                idempotent: true)
        } catch let error as AWSError where error.isNotFound {
        }
        await events.invalidate()
    }
}
