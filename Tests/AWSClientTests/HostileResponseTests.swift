import AWSClient
import Foundation
import Testing

/// Bodies no AWS service sends, as an endpoint in its place might (a proxy, a broken connection,
/// someone who controls `AWS_ENDPOINT_URL`): each is refused with an error that names the call
/// and says what is wrong in words, with a short escaped excerpt. Found by `ResponseFuzzTests`;
/// here each is pinned down on its own. Issue 11.
@Suite struct HostileResponseTests {
    static func response(_ body: Data, service: AWSService = .ec2, action: String = "DescribeVpcs") -> AWSResponse {
        AWSResponse(
            service: service, action: action, status: 200, headers: [(name: "x-amzn-RequestId", value: "req-1")], body: body, attempts: 1)
    }

    static func refusal(_ body: Data, service: AWSService = .ec2, action: String = "DescribeVpcs") -> String {
        do {
            let response = response(body, service: service, action: action)
            // As the services' readers do: JSON services' bodies as JSON, query services' as XML.
            switch service.wireProtocol {
            case .ec2, .query: _ = try response.xml()
            case .json, .restJSON: _ = try response.json()
            }
            return "read without an error"
        } catch {
            return "\(error)"
        }
    }

    @Test func anElementNameThatIsNotUTF8IsRefusedNotATrap() {
        // FoundationXML traps on a name with an invalid byte: strata used to die of SIGILL.
        let body = Data("<DescribeVpcsResponse><vpcSe".utf8) + Data([0xFD]) + Data("t/></DescribeVpcsResponse>".utf8)
        #expect(
            Self.refusal(body)
                == #"cannot read the answer to ec2 DescribeVpcs as XML: it is not valid UTF-8 (byte 28) (55 bytes, starting "<DescribeVpcsResponse><vpcSe\xfdt/></DescribeVpcsResponse>", request id req-1)"#
        )
    }

    @Test func nestingPastAnySaneDepthIsRefusedNotAStackOverflow() {
        // Walking (and freeing) 20,000 levels of XMLNode overflowed the stack: SIGSEGV.
        let deep = String(repeating: "<a>", count: 20_000) + String(repeating: "</a>", count: 20_000)
        let refusal = Self.refusal(Data(deep.utf8))
        #expect(
            refusal.hasPrefix("cannot read the answer to ec2 DescribeVpcs as XML: its elements nest more than 128 deep (140000 bytes"),
            "\(refusal)")
        let json = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        #expect(
            Self.refusal(Data(json.utf8), service: .eks, action: "DescribeCluster").hasPrefix(
                "cannot read the answer to eks DescribeCluster as JSON: it is not valid JSON: Too many nested arrays or dictionaries"))
    }

    @Test func aDocumentTypeIsRefusedUnread() {
        let bomb = #"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;">]><r>&b;</r>"#
        #expect(
            Self.refusal(Data(bomb.utf8)).hasPrefix(
                "cannot read the answer to ec2 DescribeVpcs as XML: it declares a document type (<!DOCTYPE>), which AWS never sends"))
    }

    @Test func errorsSayWhatIsWrongWithoutSwiftsTypesOrTheWholeBody() {
        let page = "<html><head><title>502 Bad Gateway</title></head><body>" + String(repeating: "x", count: 100_000) + "</body></html>"
        let refusal = Self.refusal(Data(page.utf8), service: .eks, action: "DescribeCluster")
        #expect(refusal.hasPrefix("cannot read the answer to eks DescribeCluster as JSON: it is not valid JSON: "), "\(refusal)")
        #expect(
            refusal.contains(
                "(100069 bytes, starting \"<html><head><title>502 Bad Gateway</title></head><body>xxxxxxxxx...\", request id req-1)"),
            "\(refusal)")
        for leak in ["DecodingError", "dataCorrupted", "Error Domain", "Swift."] {
            #expect(!refusal.contains(leak), "\(refusal)")
        }
        // A terminal would act on an escape sequence in the excerpt: it is shown escaped.
        let coloured = Self.refusal(Data("<html>\n<body>\u{1B}[31mProxy error</body>\n".utf8))
        #expect(coloured.contains(#"starting "<html>\x0a<body>\x1b[31mProxy error"#) && !coloured.contains("\u{1B}"), "\(coloured)")
        let cut = Self.refusal(Data("<DescribeVpcsResponse><vpcSet>".utf8))
        #expect(cut.hasPrefix("cannot read the answer to ec2 DescribeVpcs as XML: not well-formed at line 1, column"), "\(cut)")
    }
}
