import StrataModel

extension ResourceSchema {
    /// `aws_internet_gateway`: the public subnets' route to the internet.
    static let awsInternetGateway = ResourceSchema(
        type: "aws_internet_gateway", plane: .network, taggable: true,
        summary: "An internet gateway, attached to a VPC",
        attributes: [
            .id, .arn, .ownerID, .tags, .tagsAll,
            // Attach and detach are separate calls, so moving the gateway is an update.
            .optional("vpc_id", .string),
        ])
}
