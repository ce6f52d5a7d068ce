import StrataModel

extension ResourceSchema {
    /// `aws_iam_openid_connect_provider`: trusts a cluster's service-account token issuer (IRSA).
    static let awsIAMOpenIDConnectProvider = ResourceSchema(
        type: "aws_iam_openid_connect_provider", plane: .security, taggable: true,
        summary: "An IAM OpenID Connect identity provider",
        attributes: [
            .id, .arn, .tags, .tagsAll,
            // The issuer URL is the provider's identity (its ARN embeds it).
            .required("url", .string, forcesReplacement: true),
            .required("client_id_list", .list(.string)),
            // Optional since IAM verifies well-known issuers (EKS included) by their CA and
            // fills in the thumbprint itself.
            AttributeSchema("thumbprint_list", .list(.string), .optionalComputed),
        ])
}
