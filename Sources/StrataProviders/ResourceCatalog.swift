import StrataModel

/// Every resource type strata knows, by type name: the schemas the compiler checks stacks
/// against and the planner diffs with. Each schema is declared in its type's folder under
/// `Types/` and registered once, with its provider, in ``ProviderRegistry``.
public enum ResourceCatalog {
    public static let all: [String: ResourceSchema] = ProviderRegistry.all.mapValues(\.schema)

    public static func schema(for type: String) -> ResourceSchema? { all[type] }

    /// The schemas in registration order.
    public static let schemas: [ResourceSchema] = ProviderRegistry.providers.map(\.schema)
}
