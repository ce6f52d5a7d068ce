import Foundation
import Testing

@testable import AWSSigner

/// The signer's stages and rules one at a time, on small hand-checked inputs.
@Suite struct SigV4StageTests {
    let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    let date = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z

    @Test func signingKeyMatchesTheDocumentedDerivation() {
        // The example in AWS's "Calculate the signature" documentation (20120215, us-east-1, iam).
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "iam")
        let day = Date(timeIntervalSince1970: 1_329_264_000)  // 2012-02-15T00:00:00Z
        #expect(
            Digest.hex(signer.signingKey(date: day))
                == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }

    @Test func digestsOfKnownInputs() {
        #expect(Digest.hex(Digest.sha256([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Digest.hex(Digest.sha256("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // RFC 4231 test case 2.
        #expect(
            Digest.hex(Digest.hmacSHA256(key: "Jefe".utf8, "what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func datesAreUTCAndTruncatedToTheSecond() {
        #expect(AWSDate.amzDate(date) == "20150830T123600Z")
        #expect(AWSDate.scopeDate(date) == "20150830")
        #expect(AWSDate.amzDate(Date(timeIntervalSince1970: 1_709_251_199.999)) == "20240229T235959Z")
        #expect(AWSDate.amzDate(Date(timeIntervalSince1970: 0)) == "19700101T000000Z")
        #expect(AWSDate.amzDate(Date(timeIntervalSince1970: -1)) == "19691231T235959Z")
        #expect(AWSDate.iso8601(Date(timeIntervalSince1970: 4_102_444_800)) == "2100-01-01T00:00:00Z")
    }

    @Test func scopeNamesDateRegionAndService() {
        let signer = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "eks")
        #expect(signer.scope(date: date) == "20150830/eu-west-1/eks/aws4_request")
    }

    @Test func canonicalURIRulesDifferForS3() {
        #expect(Canonical.canonicalURI(path: "/a%20b/x/../c//d/", rules: .standard) == "/a%2520b/c/d/")
        #expect(Canonical.canonicalURI(path: "/a%20b/x/../c//d/", rules: .s3) == "/a%20b/x/../c//d/")
        #expect(Canonical.canonicalURI(path: "", rules: .standard) == "/")
        #expect(Canonical.canonicalURI(path: "/./", rules: .standard) == "/")
        #expect(Canonical.PathRules.forService("s3") == .s3)
        #expect(Canonical.PathRules.forService("ec2") == .standard)
    }

    @Test func canonicalQuerySortsAndReencodes() {
        let items = Canonical.parseQuery("b=2&a=1&a=0&acl&plus=a+b&sp=%20x&u=%C3%BC&t=~")
        #expect(Canonical.canonicalQuery(items) == "a=0&a=1&acl=&b=2&plus=a%2Bb&sp=%20x&t=~&u=%C3%BC")
        #expect(Canonical.canonicalQuery(Canonical.parseQuery(nil)) == "")
        // Upper-case sorts before lower-case: byte order, not locale order.
        #expect(Canonical.canonicalQuery(Canonical.parseQuery("a=1&B=2")) == "B=2&a=1")
    }

    @Test func headerValuesAreTrimmedAndRepeatsJoined() {
        let result = Canonical.canonicalHeaders([
            (name: "X-B", value: "  two   words \t"), (name: "Host", value: "h"), (name: "x-b", value: "again"),
            (name: "User-Agent", value: "not signed"), (name: "X-A", value: "line1\n   line2"),
        ])
        #expect(result.canonical == "host:h\nx-a:line1 line2\nx-b:two words,again\n")
        #expect(result.signed == "host;x-a;x-b")
    }

    @Test func canonicalRequestAndStringToSignFitTogether() {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
        let canonical = signer.canonicalRequest(
            method: "get", path: "/", query: [],
            headers: [
                (name: "Host", value: "example.amazonaws.com"),
                (name: "X-Amz-Date", value: "20150830T123600Z"),
            ],
            payloadHash: SigV4Signer.payloadHash(.signed, body: Data()))
        #expect(
            canonical.request
                == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let toSign = signer.stringToSign(canonicalRequest: canonical.request, date: date)
        #expect(toSign.hasPrefix("AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"))
        // get-vanilla from the AWS suite.
        #expect(signer.signature(stringToSign: toSign, date: date) == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    @Test func payloadChoices() {
        #expect(SigV4Signer.payloadHash(.unsigned, body: Data("x".utf8)) == "UNSIGNED-PAYLOAD")
        #expect(
            SigV4Signer.payloadHash(.precomputed("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"), body: Data())
                == "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
    }

    @Test func signAddsHostWithPortAndReplacesAnEarlierSignature() throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "tok"),
            region: "us-east-1", service: "ec2")
        let url = try #require(URL(string: "http://127.0.0.1:4599/?Action=DescribeVpcs"))
        let first = signer.sign(method: "POST", url: url, headers: [], body: Data("a=b".utf8), date: date)
        #expect(first.first { $0.name == "Host" }?.value == "127.0.0.1:4599")
        #expect(first.first { $0.name == "X-Amz-Security-Token" }?.value == "tok")
        #expect(first.first { $0.name == "x-amz-content-sha256" }?.value == Digest.hex(Digest.sha256("a=b".utf8)))
        let authorization = try #require(first.first { $0.name == "Authorization" }?.value)
        #expect(authorization.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"))

        // A retry re-signs at a later date: one of each auth header, the new date, a new signature.
        let later = date.addingTimeInterval(90)
        let again = signer.sign(method: "POST", url: url, headers: first, body: Data("a=b".utf8), date: later)
        for name in ["Host", "Authorization", "X-Amz-Date", "X-Amz-Security-Token", "x-amz-content-sha256"] {
            #expect(again.filter { $0.name.lowercased() == name.lowercased() }.count == 1, "\(name)")
        }
        #expect(again.first { $0.name == "X-Amz-Date" }?.value == "20150830T123730Z")
        #expect(again.first { $0.name == "Authorization" }?.value != authorization)
        // And signing is a pure function: the same inputs give the same headers.
        let repeated = signer.sign(method: "POST", url: url, headers: first, body: Data("a=b".utf8), date: later)
        #expect(repeated.map { "\($0.name):\($0.value)" } == again.map { "\($0.name):\($0.value)" })
    }

    @Test func aCallerSetPayloadHashIsTheOneSigned() throws {
        let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3")
        let url = try #require(URL(string: "https://bucket.s3.amazonaws.com/key"))
        let viaHeader = signer.sign(
            method: "PUT", url: url, headers: [(name: "X-Amz-Content-SHA256", value: "UNSIGNED-PAYLOAD")],
            body: Data("body".utf8), date: date, signPayloadHeader: false)
        let viaOption = signer.sign(
            method: "PUT", url: url, headers: [], body: Data("body".utf8), date: date, payload: .unsigned,
            signPayloadHeader: true)
        let signature = { (headers: [(name: String, value: String)]) in
            headers.first { $0.name == "Authorization" }?.value.components(separatedBy: "Signature=").last
        }
        #expect(signature(viaHeader) != nil)
        #expect(signature(viaHeader) == signature(viaOption))
    }

    @Test func presignKeepsOwnParametersAndReplacesEarlierAuth() throws {
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "a/b+c="),
            region: "us-west-2", service: "sts")
        let url = try #require(
            URL(string: "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"))
        let presigned = signer.presign(
            method: "GET", url: url, headers: [(name: "x-k8s-aws-id", value: "prod")], date: date, expires: 60)
        let query = try #require(presigned.query(percentEncoded: true))
        #expect(query.hasPrefix("Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&"))
        #expect(query.contains("X-Amz-Credential=AKID%2F20150830%2Fus-west-2%2Fsts%2Faws4_request"))
        #expect(query.contains("X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"))
        #expect(query.contains("X-Amz-Security-Token=a%2Fb%2Bc%3D"))
        #expect(presigned.host() == "sts.us-west-2.amazonaws.com")

        let again = signer.presign(
            method: "GET", url: presigned, headers: [(name: "x-k8s-aws-id", value: "prod")], date: date, expires: 60)
        #expect(again == presigned)
    }

    @Test func credentialsNeverPrintTheirSecrets() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
        let token = "FwoGZXIvYXdzEXAMPLETOKEN"
        let credentials = AWSCredentials(
            accessKeyID: "ASIAEXAMPLE", secretAccessKey: secret, sessionToken: token,
            expiration: Date(timeIntervalSince1970: 1_440_938_160))
        var dumped = ""
        dump(credentials, to: &dumped)
        for text in [credentials.description, credentials.debugDescription, "\(credentials)", String(reflecting: credentials), dumped] {
            #expect(!text.contains(secret))
            #expect(!text.contains(token))
            #expect(text.contains("ASIAEXAMPLE"))
        }
        #expect(credentials.description.contains("2015-08-30T12:36:00Z"))
    }
}
