import AWSClient

extension AWSClient {
    /// Every item of a paginated query-protocol read (EC2's `NextToken`, IAM's `Marker`):
    /// `token` names the request parameter that asks for the next page, `nextToken` reads it
    /// from an answer, `items` picks a page's items.
    func queryItems(
        _ service: AWSService, _ action: String, _ parameters: [(name: String, value: String)], token: String,
        nextToken: @escaping @Sendable (AWSResponse) throws -> String?, items: (XMLNode) -> [XMLNode]
    ) async throws -> [XMLNode] {
        let pages = pages(
            { next in .query(service, action: action, parameters: parameters + (next.map { [(name: token, value: $0)] } ?? [])) },
            nextToken: nextToken)
        var all: [XMLNode] = []
        for try await page in pages {
            all += items(try page.xml())
        }
        return all
    }
}
