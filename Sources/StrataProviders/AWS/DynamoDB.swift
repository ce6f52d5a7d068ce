import AWSClient
import Foundation
import StrataModel

/// The DynamoDB calls strata makes, and only those (JSON 1.0, botocore's `dynamodb` 2012-08-10
/// model): the stack lock's table and its items. Items stay in DynamoDB's attribute-value form
/// (`["S": "text"]`, `["N": "12"]`). Errors are ``AWSError`` unchanged, except that a
/// conditional write whose condition does not hold answers `false`.
public struct DynamoDB: Sendable {
    let client: AWSClient

    public init(_ client: AWSClient) { self.client = client }

    /// `DescribeTable`'s `TableStatus` (`CREATING`, `ACTIVE`, ...); nil when there is no such table.
    public func tableStatus(_ table: String) async throws -> String? {
        do {
            return try await client.json(.dynamodb, action: "DescribeTable", body: ["TableName": .string(table)])["Table"]?[
                "TableStatus"]?.stringValue
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    /// `CreateTable` on demand with one string hash key; a table another caller is creating
    /// meanwhile (`ResourceInUseException`) counts as created.
    public func createTable(_ table: String, hashKey: String, tags: [String: String]) async throws {
        do {
            _ = try await client.json(
                .dynamodb, action: "CreateTable",
                body: [
                    "TableName": .string(table), "BillingMode": "PAY_PER_REQUEST",
                    "AttributeDefinitions": [["AttributeName": .string(hashKey), "AttributeType": "S"]],
                    "KeySchema": [["AttributeName": .string(hashKey), "KeyType": "HASH"]],
                    "Tags": .array(tags.sorted { $0.key < $1.key }.map { ["Key": .string($0.key), "Value": .string($0.value)] }),
                ])
        } catch let error as AWSError where error.code == "ResourceInUseException" {
        }
    }

    /// `GetItem` with a consistent read; nil when there is no such item.
    public func item(_ table: String, key: JSONValue) async throws -> JSONValue? {
        try await client.json(.dynamodb, action: "GetItem", body: ["TableName": .string(table), "Key": key, "ConsistentRead": true])[
            "Item"]
    }

    /// `PutItem` on `condition`; false when the condition does not hold. Resending a conditional
    /// write after a lost answer is safe for strata's conditions: the resend finds the first
    /// copy's own item, which its callers recognise.
    public func put(_ table: String, item: JSONValue, condition: String, values: JSONValue) async throws -> Bool {
        try await conditionally("PutItem", ["TableName": .string(table), "Item": item], condition, values)
    }

    /// `DeleteItem` on `condition`; false when the condition does not hold.
    public func delete(_ table: String, key: JSONValue, condition: String, values: JSONValue) async throws -> Bool {
        try await conditionally("DeleteItem", ["TableName": .string(table), "Key": key], condition, values)
    }

    private func conditionally(_ action: String, _ body: [String: JSONValue], _ condition: String, _ values: JSONValue) async throws
        -> Bool
    {
        var body = body
        body["ConditionExpression"] = .string(condition)
        body["ExpressionAttributeValues"] = values
        do {
            _ = try await client.json(.dynamodb, action: action, body: .object(body), idempotent: true)
            return true
        } catch let error as AWSError where error.code == "ConditionalCheckFailedException" {
            return false
        }
    }
}
