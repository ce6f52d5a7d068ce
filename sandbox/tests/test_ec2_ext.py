"""EC2 behaviour the sandbox adds to moto: lifecycles, ClientToken idempotency, dependency checks."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

DEADLINE = 20


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture
def net(sbx):
    ec2 = sbx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    return ec2, vpc, subnet


def nat_state(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


def test_nat_gateway_pending_available_deleting_deleted(sbx, net):
    ec2, vpc, subnet = net
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    sbx.control("POST", "clock", {"freeze": True})  # observe the intermediate states deterministically
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"]
    assert nat["State"] == "pending"
    assert nat_state(ec2, nat["NatGatewayId"]) == "pending"
    sbx.control("POST", "clock", {"freeze": False})
    sbx.wait_until(lambda: nat_state(ec2, nat["NatGatewayId"]) == "available", DEADLINE, "NAT available")
    [eni] = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["NetworkInterfaces"]
    assert (eni["RequesterManaged"], eni["InterfaceType"], eni["Status"]) == (True, "nat_gateway", "in-use")
    assert eni["Description"] == f"Interface for NAT Gateway {nat['NatGatewayId']}"
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=subnet)
    assert code(e) == "DependencyViolation"
    sbx.control("POST", "clock", {"freeze": True})
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])
    assert nat_state(ec2, nat["NatGatewayId"]) == "deleting"
    ec2.delete_nat_gateway(NatGatewayId=nat["NatGatewayId"])  # again: still just deleting
    assert nat_state(ec2, nat["NatGatewayId"]) == "deleting"
    sbx.control("POST", "clock", {"freeze": False})
    sbx.wait_until(lambda: nat_state(ec2, nat["NatGatewayId"]) == "deleted", DEADLINE, "NAT deleted")
    ec2.delete_subnet(SubnetId=subnet)  # its network interface went with it
    with pytest.raises(ClientError) as e:
        ec2.delete_nat_gateway(NatGatewayId="nat-0123456789abcdef0")
    assert code(e) == "NatGatewayNotFound"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_nat_gateway_address_is_held_until_the_gateway_is_deleted(sbx, net):
    # AWS answers AuthFailure to disassociating or releasing a NAT gateway's address, also while
    # the gateway is deleting (ReleaseAddress: "you must disassociate the Elastic IP address
    # before you can release it"; a NAT gateway's address cannot be disassociated at all).
    ec2, vpc, subnet = net
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    sbx.wait_until(lambda: nat_state(ec2, nat) == "available", DEADLINE, "NAT available")
    association = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]["AssociationId"]
    sbx.control("POST", "clock", {"freeze": True})
    ec2.delete_nat_gateway(NatGatewayId=nat)
    for call in (lambda: ec2.disassociate_address(AssociationId=association),
                 lambda: ec2.release_address(AllocationId=alloc)):
        with pytest.raises(ClientError) as e:
            call()
        assert code(e) == "AuthFailure"
    assert ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]["AllocationId"] == alloc
    sbx.control("POST", "clock", {"freeze": False})
    sbx.wait_until(lambda: nat_state(ec2, nat) == "deleted", DEADLINE, "NAT deleted")
    ec2.release_address(AllocationId=alloc)
    assert ec2.describe_addresses()["Addresses"] == []


def test_client_token_idempotency(sbx, net):
    ec2, vpc, subnet = net
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    first = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc, ClientToken="stack-a-nat")["NatGateway"]
    again = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc, ClientToken="stack-a-nat")["NatGateway"]
    assert again["NatGatewayId"] == first["NatGatewayId"]
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1
    with pytest.raises(ClientError) as e:
        ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc, ClientToken="stack-a-nat",
                               ConnectivityType="private")
    assert code(e) == "IdempotentParameterMismatch"

    data = {"ImageId": "ami-12c6146b", "InstanceType": "t3.medium"}
    lt1 = ec2.create_launch_template(LaunchTemplateName="nodes", LaunchTemplateData=data, ClientToken="lt-1")
    lt2 = ec2.create_launch_template(LaunchTemplateName="nodes", LaunchTemplateData=data, ClientToken="lt-1")
    assert lt1["LaunchTemplate"]["LaunchTemplateId"] == lt2["LaunchTemplate"]["LaunchTemplateId"]

    run = dict(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
               ClientToken="run-1")
    i1 = ec2.run_instances(**run)["Instances"][0]["InstanceId"]
    i2 = ec2.run_instances(**run)["Instances"][0]["InstanceId"]
    assert i1 == i2
    reservations = ec2.describe_instances()["Reservations"]
    assert sum(len(r["Instances"]) for r in reservations) == 1
    with pytest.raises(ClientError) as e:
        ec2.delete_subnet(SubnetId=subnet)
    assert code(e) == "DependencyViolation"
    # A reset forgets the tokens with the resources.
    sbx.reset()
    ec2 = sbx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    i3 = ec2.run_instances(**{**run, "SubnetId": subnet})["Instances"][0]["InstanceId"]
    assert i3 != i1


def test_security_group_dependencies(sbx, net):
    ec2, vpc, subnet = net
    a = ec2.create_security_group(GroupName="a", Description="a", VpcId=vpc)["GroupId"]
    b = ec2.create_security_group(GroupName="b", Description="b", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=b, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": a}]}])
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=a)
    assert code(e) == "InvalidGroup.InUse"
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[b])["NetworkInterface"]["NetworkInterfaceId"]
    with pytest.raises(ClientError) as e:
        ec2.delete_security_group(GroupId=b)
    assert code(e) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.delete_subnet(SubnetId=subnet)
    with pytest.raises(ClientError) as e:  # groups left in the VPC
        ec2.delete_vpc(VpcId=vpc)
    assert code(e) == "DependencyViolation"
    ec2.delete_security_group(GroupId=b)
    ec2.delete_security_group(GroupId=a)
    ec2.delete_vpc(VpcId=vpc)


def test_dependency_checks_and_dry_run(sbx, net):
    ec2, vpc, subnet = net
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_subnet(SubnetId=subnet)
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=vpc)
    assert code(e) == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.delete_internet_gateway(InternetGatewayId=igw)
    assert code(e) == "DependencyViolation"
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc)

    before = len(ec2.describe_vpcs()["Vpcs"])
    with pytest.raises(ClientError) as e:
        ec2.create_vpc(CidrBlock="10.60.0.0/16", DryRun=True)
    assert code(e) == "DryRunOperation"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert len(ec2.describe_vpcs()["Vpcs"]) == before


def test_describe_nat_gateways_honours_tag_filters(sbx, net):
    ec2, _, subnet = net
    ids = {}
    for stack in ("prod", "dev"):
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ids[stack] = ec2.create_nat_gateway(
            SubnetId=subnet, AllocationId=alloc,
            TagSpecifications=[{"ResourceType": "natgateway",
                                "Tags": [{"Key": "strata:stack", "Value": stack}]}],
        )["NatGateway"]["NatGatewayId"]

    def found(*filters):
        return sorted(n["NatGatewayId"] for n in ec2.describe_nat_gateways(Filters=list(filters))["NatGateways"])

    assert found({"Name": "tag:strata:stack", "Values": ["prod"]}) == [ids["prod"]]
    assert found({"Name": "tag:strata:stack", "Values": ["prod", "dev"]}) == sorted(ids.values())
    assert found({"Name": "tag:strata:stack", "Values": ["qa"]}) == []
    assert found({"Name": "tag-key", "Values": ["strata:stack"]}) == sorted(ids.values())
    assert found({"Name": "tag-key", "Values": ["other"]}) == []
    assert found({"Name": "tag:strata:stack", "Values": ["dev"]},
                 {"Name": "subnet-id", "Values": [subnet]}) == [ids["dev"]]
