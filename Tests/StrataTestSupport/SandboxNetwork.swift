import AWSClient
import Foundation

extension Sandbox {
    /// A VPC (10.0.0.0/16) with a subnet in each of us-east-1a and us-east-1b: what a sandbox EKS
    /// cluster made with raw calls needs. Returns the subnet ids.
    public func twoSubnets(_ aws: AWSClient) async throws -> [String] {
        let vpc = try await aws.query(.ec2, action: "CreateVpc", parameters: [(name: "CidrBlock", value: "10.0.0.0/16")])
        guard let vpcID = vpc.first(named: "vpcId")?.text else { throw SandboxError("CreateVpc answered no vpcId") }
        var subnets: [String] = []
        for (index, zone) in ["us-east-1a", "us-east-1b"].enumerated() {
            let subnet = try await aws.query(
                .ec2, action: "CreateSubnet",
                parameters: [
                    (name: "VpcId", value: vpcID), (name: "CidrBlock", value: "10.0.\(index).0/24"),
                    (name: "AvailabilityZone", value: zone),
                ])
            guard let id = subnet.first(named: "subnetId")?.text else { throw SandboxError("CreateSubnet answered no subnetId") }
            subnets.append(id)
        }
        return subnets
    }
}
