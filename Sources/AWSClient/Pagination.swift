import Foundation

/// The pages of a paginated call, fetched one at a time as the sequence is iterated. A token the
/// service repeats ends the sequence instead of looping forever.
public struct AWSPages: AsyncSequence, Sendable {
    public typealias Element = AWSResponse

    let client: AWSClient
    let operation: @Sendable (String?) -> AWSOperation
    let nextToken: @Sendable (AWSResponse) throws -> String?

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pages: AWSPages
        var token: String?
        var seen: Set<String> = []
        var finished = false

        public mutating func next() async throws -> AWSResponse? {
            guard !finished else { return nil }
            let response = try await pages.client.send(pages.operation(token))
            let next = try pages.nextToken(response)
            if let next, !next.isEmpty, !seen.contains(next) {
                seen.insert(next)
                token = next
            } else {
                finished = true
            }
            return response
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(pages: self, token: nil)
    }
}

/// Where each protocol keeps the next-page token.
public enum Pagination {
    /// EC2: `<nextToken>` in the answer, `NextToken` in the request.
    @Sendable public static func ec2NextToken(_ response: AWSResponse) throws -> String? {
        let text = try response.xml().child("nextToken")?.text
        return text?.isEmpty == false ? text : nil
    }

    /// IAM: `<IsTruncated>true</IsTruncated>` with `<Marker>` in the result; `Marker` in the request.
    @Sendable public static func iamMarker(_ response: AWSResponse) throws -> String? {
        let xml = try response.xml()
        guard xml.first(named: "IsTruncated")?.text == "true" else { return nil }
        return xml.first(named: "Marker")?.text
    }

    /// JSON and REST-JSON: a top-level member, `NextToken` (SSM, Logs, ...) or `nextToken` (EKS).
    public static func jsonToken(_ key: String) -> @Sendable (AWSResponse) throws -> String? {
        { response in try response.json()[key]?.stringValue }
    }
}
