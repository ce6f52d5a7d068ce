import AWSClient
import Foundation
import StrataModel
import Testing

@testable import StrataProviders

/// The pure parts the identity providers share: policy documents, IAM paths, tag deltas, names.
@Suite struct IdentityHelpersTests {
    @Test func policyDocumentsGoOutAsOneCanonicalText() throws {
        let map: Value = .map([
            "Version": .string("2012-10-17"), "Statement": .list([.map(["Effect": .string("Allow"), "Action": .string("s3:*")])]),
        ])
        let text: Value = .string("{ \"Statement\": [ {\"Action\": \"s3:*\", \"Effect\": \"Allow\"} ],\n \"Version\": \"2012-10-17\" }")
        let fromMap = try PolicyDocument.canonical(map, type: "aws_iam_policy", attribute: "policy")
        let fromText = try PolicyDocument.canonical(text, type: "aws_iam_policy", attribute: "policy")
        #expect(fromMap == fromText)
        #expect(fromMap == #"{"Statement":[{"Action":"s3:*","Effect":"Allow"}],"Version":"2012-10-17"}"#)
        #expect(try PolicyDocument.canonical(nil, type: "t", attribute: "a") == nil)
        #expect(throws: ProviderError.self) { try PolicyDocument.canonical(.string("not json"), type: "t", attribute: "a") }
        #expect(throws: ProviderError.self) { try PolicyDocument.canonical(.unknown(.json), type: "t", attribute: "a") }
    }

    @Test func iamAnswersAreURLDecoded() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"
        #expect(IAM.decodeDocument(encoded) == #"{"Version":"2012-10-17","Statement":[]}"#)
        // Plain JSON (a literal % inside) is left alone.
        #expect(IAM.decodeDocument(#"{"Sid":"100%25"}"#) == #"{"Sid":"100%25"}"#)
        #expect(PolicyDocument.live(IAM.decodeDocument(encoded)) == .string(#"{"Statement":[],"Version":"2012-10-17"}"#))
    }

    @Test func pathsAreRelativeToTheStacksPath() {
        let stack = "/strata/prod/"
        #expect(IAM.fullPath(nil, stackPath: stack) == stack)
        #expect(IAM.fullPath("/", stackPath: stack) == stack)
        #expect(IAM.fullPath("/ci/", stackPath: stack) == "/strata/prod/ci/")
        #expect(IAM.fullPath("ci", stackPath: stack) == "/strata/prod/ci/")
        #expect(IAM.userPath("/strata/prod/", stackPath: stack) == "/")
        #expect(IAM.userPath("/strata/prod/ci/", stackPath: stack) == "/ci/")
        #expect(IAM.userPath("/other/", stackPath: stack) == "/other/")
    }

    @Test func tagDeltasLeaveAWSTagsAlone() {
        let delta = TagSync.delta(
            live: ["a": "1", "b": "2", "aws:cloudformation:stack-name": "x"], desired: ["a": "1", "b": "3", "c": "4"])
        #expect(delta.set == ["b": "3", "c": "4"])
        #expect(delta.remove.isEmpty)
        #expect(TagSync.delta(live: ["a": "1", "z": "0"], desired: ["a": "1"]).remove == ["z"])
    }

    @Test func ownershipNeedsThisStacksTag() {
        let tags = [ProviderContext.stackTag: "prod", ProviderContext.addressTag: "module.x.aws_iam_role.r"]
        #expect(Ownership.address(tags, stack: "prod")?.canonical == "module.x.aws_iam_role.r")
        #expect(Ownership.address(tags, stack: "dev") == nil)
        let attributes = Ownership.tagAttributes(tags.merging(["team": "a"]) { a, _ in a })
        #expect(attributes["tags"] == .map(["team": .string("a")]))
    }

    @Test func generatedNamesAreStablePerCreate() throws {
        let address = ResourceAddress(module: nil, type: "aws_iam_role", name: "r")
        func desired(_ token: String, _ attributes: [String: Value]) -> DesiredResource {
            DesiredResource(address: address, type: "aws_iam_role", attributes: attributes, tags: [:], idempotencyToken: token)
        }
        let first = try GeneratedName.name(desired("t1", ["name_prefix": .string("app-")]), maxLength: 64)
        #expect(first.hasPrefix("app-"))
        #expect(try GeneratedName.name(desired("t1", ["name_prefix": .string("app-")]), maxLength: 64) == first)
        #expect(try GeneratedName.name(desired("t2", ["name_prefix": .string("app-")]), maxLength: 64) != first)
        #expect(try GeneratedName.name(desired("t1", ["name": .string("given")]), maxLength: 64) == "given")
        #expect(try GeneratedName.name(desired("t1", [:]), maxLength: 10).count == 10)
        #expect(throws: ProviderError.self) { try GeneratedName.name(desired("t1", ["name": .unknown(.string)]), maxLength: 64) }
    }
}
