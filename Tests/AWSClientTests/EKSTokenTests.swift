import AWSClient
import AWSSigner
import Foundation
import StrataModel
import Testing

@Suite struct EKSTokenTests {
    let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    let date = Date(timeIntervalSince1970: 1_700_000_000)

    @Test func tokenIsAPresignedGetCallerIdentityURLInUnpaddedBase64URL() throws {
        let token = try EKSToken.make(
            cluster: "demo", credentials: credentials, region: "eu-west-1",
            stsEndpoint: URL(string: "https://sts.eu-west-1.amazonaws.com")!, date: date)
        #expect(token.token.hasPrefix("k8s-aws-v1."))
        let body = token.token.dropFirst("k8s-aws-v1.".count)
        #expect(!body.contains("=") && !body.contains("+") && !body.contains("/"))
        let url = try #require(EKSToken.presignedURL(in: token.token))
        #expect(url.host == "sts.eu-west-1.amazonaws.com")
        let items = Dictionary(
            uniqueKeysWithValues: (URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []).map {
                ($0.name, $0.value ?? "")
            })
        #expect(items["Action"] == "GetCallerIdentity")
        #expect(items["Version"] == "2011-06-15")
        #expect(items["X-Amz-Expires"] == "60")
        #expect(items["X-Amz-SignedHeaders"] == "host;x-k8s-aws-id")
        #expect(items["X-Amz-Credential"] == "AKIDEXAMPLE/20231114/eu-west-1/sts/aws4_request")
        #expect(items["X-Amz-Signature"]?.count == 64)
        #expect(!url.absoluteString.contains(credentials.secretAccessKey))
        #expect(token.expiration == date.addingTimeInterval(14 * 60))
    }

    @Test func theGlobalEndpointIsSignedForUSEast1() throws {
        let token = try EKSToken.make(
            cluster: "demo", credentials: credentials, region: "eu-west-1", stsEndpoint: URL(string: "https://sts.amazonaws.com")!,
            date: date)
        let url = try #require(EKSToken.presignedURL(in: token.token))
        #expect(
            url.absoluteString.contains("%2Fus-east-1%2Fsts%2Faws4_request") || url.absoluteString.contains("/us-east-1/sts/aws4_request"))
    }

    @Test func execCredentialFollowsKubectlsRequestedVersion() throws {
        let token = EKSToken(token: "k8s-aws-v1.abc", expiration: date)
        let v1 = EKSToken.apiVersion(
            execInfo: #"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#)
        #expect(v1 == "client.authentication.k8s.io/v1")
        #expect(EKSToken.apiVersion(execInfo: nil) == "client.authentication.k8s.io/v1beta1")
        #expect(EKSToken.apiVersion(execInfo: "not json") == "client.authentication.k8s.io/v1beta1")
        let document = try JSONValue.parse(Data(token.execCredential(apiVersion: v1).utf8))
        #expect(document["kind"] == "ExecCredential")
        #expect(document["apiVersion"]?.stringValue == v1)
        #expect(document["status"]?["token"] == "k8s-aws-v1.abc")
        #expect(document["status"]?["expirationTimestamp"] == "2023-11-14T22:13:20Z")
    }
}
