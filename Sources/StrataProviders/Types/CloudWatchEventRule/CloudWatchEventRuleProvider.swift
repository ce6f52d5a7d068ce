import AWSClient
import StrataModel

/// `aws_cloudwatch_event_rule`: PutRule with its tags. PutRule also overwrites an existing rule
/// of the same name, so create first asks whether the name is taken (DescribeRule) and by whom.
/// Discovery: the tag index (shared) + ListRules per bus holding a rule of the stack (see
/// ``EventBridge/ownedRules()``).
struct CloudWatchEventRuleProvider: ResourceProvider {
    let schema = ResourceSchema.awsCloudWatchEventRule
    let deletion = DeletionRule(rank: 5, waitsFor: ["aws_cloudwatch_event_target": .every])

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        try await EventBridge(context).ownedRules().compactMap { Self.live($0.rule, tags: $0.tags, context) }
    }

    static func live(_ rule: JSONValue, tags: [String: String], _ context: ProviderContext) -> LiveResource? {
        guard let address = Ownership.address(tags, stack: context.stack), let name = rule["Name"]?.stringValue else { return nil }
        let bus = rule["EventBusName"]?.stringValue ?? "default"
        var attributes = Ownership.tagAttributes(tags)
        // Terraform's id: the name on the default bus, `bus/name` on any other.
        let id = bus == "default" ? name : "\(bus)/\(name)"
        attributes["id"] = .string(id)
        attributes["name"] = .string(name)
        attributes["arn"] = rule["Arn"]?.stringValue.map(Value.string) ?? .null
        attributes["event_bus_name"] = .string(bus)
        attributes["state"] = .string(rule["State"]?.stringValue ?? "ENABLED")
        if let text = rule["Description"]?.stringValue, !text.isEmpty { attributes["description"] = .string(text) }
        if let pattern = rule["EventPattern"]?.stringValue, !pattern.isEmpty { attributes["event_pattern"] = PolicyDocument.live(pattern) }
        if let schedule = rule["ScheduleExpression"]?.stringValue, !schedule.isEmpty {
            attributes["schedule_expression"] = .string(schedule)
        }
        if let role = rule["RoleArn"]?.stringValue, !role.isEmpty { attributes["role_arn"] = .string(role) }
        return LiveResource(type: "aws_cloudwatch_event_rule", address: address, id: id, attributes: attributes)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let events = EventBridge(context)
        let name = try GeneratedName.name(desired, maxLength: 64)
        let bus = desired.attributes.string("event_bus_name") ?? "default"
        if let existing = try await describe(name, bus: bus, events) {
            let tags = try await events.tags(existing["Arn"]?.stringValue ?? "")
            try Ownership.claim(tags, name: name, for: desired, stack: context.stack)
            // A crashed run's rule: the PutRule below brings it to the desired definition.
        }
        try await put(name, bus: bus, desired, tags: true, events)
        return try await read(name, bus: bus, events, context)
    }

    private func describe(_ name: String, bus: String, _ events: EventBridge) async throws -> JSONValue? {
        do {
            return try await events.calls.call("DescribeRule", ["Name": .string(name), "EventBusName": .string(bus)])
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// PutRule with the whole desired definition (it replaces the rule's definition, so an
    /// update sends everything, not just what changed).
    private func put(_ name: String, bus: String, _ desired: DesiredResource, tags: Bool, _ events: EventBridge) async throws {
        let a = desired.attributes
        var body: [String: JSONValue] = [
            "Name": .string(name), "EventBusName": .string(bus), "State": .string(a.string("state") ?? "ENABLED"),
        ]
        if let text = a.string("description") { body["Description"] = .string(text) }
        if let pattern = try PolicyDocument.canonical(a["event_pattern"], type: type, attribute: "event_pattern") {
            body["EventPattern"] = .string(pattern)
        }
        if let schedule = a.string("schedule_expression") { body["ScheduleExpression"] = .string(schedule) }
        if let role = a.string("role_arn") { body["RoleArn"] = .string(role) }
        if tags { body["Tags"] = EventBridge.tagList(desired.tags) }
        try await events.calls.call("PutRule", body, idempotent: true)
        await events.invalidate()
    }

    private func read(_ name: String, bus: String, _ events: EventBridge, _ context: ProviderContext) async throws -> LiveResource {
        guard let rule = try await describe(name, bus: bus, events),
            let live = Self.live(rule, tags: try await events.tags(rule["Arn"]?.stringValue ?? ""), context)
        else {
            throw ProviderError.nameTaken(type: type, name: name, owner: "gone, or its tags no longer name this stack")
        }
        return live
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let events = EventBridge(context)
        let name = live.attributes.string("name") ?? live.id
        let bus = live.attributes.string("event_bus_name") ?? "default"
        let definition: Set<String> = ["description", "event_pattern", "schedule_expression", "role_arn", "state"]
        if !changed.isDisjoint(with: definition) { try await put(name, bus: bus, desired, tags: false, events) }
        if let arn = live.attributes.string("arn") {
            try await TagSync.update(live, to: desired, changed: changed, events.tagCalls(arn: arn))
            await events.invalidate()
        }
        return try await read(name, bus: bus, events, context)
    }

    /// EventBridge refuses to delete a rule with targets; they are separate resources the graph
    /// deletes first, so a leftover target surfaces as AWS's own error.
    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let events = EventBridge(context)
        let name = live.attributes.string("name") ?? live.id
        let bus = live.attributes.string("event_bus_name") ?? "default"
        do {
            try await events.calls.call("DeleteRule", ["Name": .string(name), "EventBusName": .string(bus)], idempotent: true)
        } catch let error as AWSError where error.isNotFound {
        }
        await events.invalidate()
    }
}
