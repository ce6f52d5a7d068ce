"""EKS as the sandbox serves it: lifecycles, version rules, add-ons, access, tags."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

ROLE = "arn:aws:iam::123456789012:role/eks-cluster"
NODE_ROLE = "arn:aws:iam::123456789012:role/eks-node"
DEADLINE = 30


def network(sbx):
    ec2 = sbx.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.40.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    return vpc, subnets


def status_is(eks, name, wanted):
    return lambda: eks.describe_cluster(name=name)["cluster"]["status"] == wanted


def active_cluster(sbx, name="demo", version="1.30", **extra):
    vpc, subnets = network(sbx)
    eks = sbx.client("eks")
    eks.create_cluster(name=name, version=version, roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets}, **extra)
    sbx.wait_until(status_is(eks, name, "ACTIVE"), DEADLINE, f"cluster {name} ACTIVE")
    return eks, vpc, subnets


def active_nodegroup(sbx, eks, subnets, cluster="demo", name="system", **extra):
    eks.create_nodegroup(clusterName=cluster, nodegroupName=name, subnets=subnets, nodeRole=NODE_ROLE,
                         scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2}, **extra)
    sbx.wait_until(lambda: eks.describe_nodegroup(clusterName=cluster, nodegroupName=name)["nodegroup"]["status"]
                   == "ACTIVE", DEADLINE, f"node group {name} ACTIVE")


def update_done(eks, cluster, update_id, **where):
    return lambda: eks.describe_update(name=cluster, updateId=update_id, **where)["update"]["status"] == "Successful"


def code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_cluster_goes_creating_to_active_with_vpc_details_endpoint_and_ca(sbx):
    vpc, subnets = network(sbx)
    eks = sbx.client("eks")
    created = eks.create_cluster(
        name="demo", version="1.31", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets},
        accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"}, tags={"team": "platform"},
    )["cluster"]
    assert created["status"] == "CREATING"
    assert created["resourcesVpcConfig"]["vpcId"] == vpc
    sg_id = created["resourcesVpcConfig"]["clusterSecurityGroupId"]
    sg = sbx.client("ec2").describe_security_groups(GroupIds=[sg_id])["SecurityGroups"][0]
    assert sg["VpcId"] == vpc and {"Key": "aws:eks:cluster-name", "Value": "demo"} in sg["Tags"]
    sbx.wait_until(status_is(eks, "demo", "ACTIVE"), DEADLINE, "cluster ACTIVE")
    c = eks.describe_cluster(name="demo")["cluster"]
    assert c["endpoint"].startswith("https://127.0.0.1:")
    assert base64.b64decode(c["certificateAuthority"]["data"]).startswith(b"-----BEGIN CERTIFICATE-----")
    assert c["identity"]["oidc"]["issuer"].startswith("https://")
    assert c["accessConfig"]["authenticationMode"] == "API_AND_CONFIG_MAP"
    assert c["tags"] == {"team": "platform"}
    assert eks.list_clusters()["clusters"] == ["demo"]
    # The creator got an admin access entry, as bootstrapClusterCreatorAdminPermissions defaults to true.
    assert len(eks.list_access_entries(clusterName="demo")["accessEntries"]) == 1


def test_create_cluster_validation_and_client_request_token(sbx):
    _, subnets = network(sbx)
    eks = sbx.client("eks")
    args = dict(name="idem", version="1.30", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets},
                clientRequestToken="tok-1")
    first = eks.create_cluster(**args)["cluster"]
    again = eks.create_cluster(**args)["cluster"]
    assert again["arn"] == first["arn"] and again["createdAt"] == first["createdAt"]
    with pytest.raises(ClientError) as e:
        eks.create_cluster(**{**args, "version": "1.31"})
    assert code(e) == "InvalidParameterException" and "tok-1" in str(e.value)
    with pytest.raises(ClientError) as e:
        eks.create_cluster(**{**args, "clientRequestToken": "tok-2"})
    assert code(e) == "ResourceInUseException"
    with pytest.raises(ClientError) as e:
        eks.create_cluster(name="one-az", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets[:1]})
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        eks.create_cluster(name="old", version="1.27", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets})
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        eks.describe_cluster(name="nope")
    assert code(e) == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_nodegroup_reaches_active_and_nodes_are_ready(sbx):
    eks, _, subnets = active_cluster(sbx)
    ng = eks.create_nodegroup(
        clusterName="demo", nodegroupName="system", subnets=subnets, nodeRole=NODE_ROLE,
        scalingConfig={"minSize": 1, "maxSize": 3, "desiredSize": 2}, labels={"pool": "system"},
        taints=[{"key": "dedicated", "value": "system", "effect": "NO_SCHEDULE"}], tags={"team": "platform"},
    )["nodegroup"]
    assert ng["status"] == "CREATING" and ng["version"] == "1.30"
    assert ng["releaseVersion"].startswith("1.30.") and ng["amiType"] == "AL2023_x86_64_STANDARD"
    sbx.wait_until(lambda: eks.describe_nodegroup(clusterName="demo", nodegroupName="system")["nodegroup"]["status"]
                   == "ACTIVE", DEADLINE, "node group ACTIVE")
    status, kube = sbx.control("GET", "kube/clusters/us-east-1/demo")
    assert status == 200
    nodes = kube["nodegroups"]["system"]
    assert nodes["desired"] == 2 and nodes["ready"] is True and nodes["version"] == "1.30"
    # Tags work on node group ARNs too (moto's only did clusters).
    arn = ng["nodegroupArn"]
    eks.tag_resource(resourceArn=arn, tags={"cost": "42"})
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"team": "platform", "cost": "42"}
    eks.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert eks.list_tags_for_resource(resourceArn=arn)["tags"] == {"cost": "42"}
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(clusterName="demo", nodegroupName="newer", subnets=subnets, nodeRole=NODE_ROLE,
                             version="1.31")
    assert code(e) == "InvalidParameterException"


def test_update_cluster_version_one_minor_at_a_time(sbx):
    eks, _, _ = active_cluster(sbx, version="1.30")
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="demo", version="1.32")
    assert code(e) == "InvalidParameterException"
    sbx.control("POST", "clock", {"freeze": True})  # hold the update InProgress while we look
    update = eks.update_cluster_version(name="demo", version="1.31")["update"]
    assert update["status"] == "InProgress" and update["type"] == "VersionUpdate"
    assert eks.describe_cluster(name="demo")["cluster"]["status"] == "UPDATING"
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="demo", version="1.31")
    assert code(e) == "ResourceInUseException"
    assert eks.list_updates(name="demo")["updateIds"] == [update["id"]]
    assert eks.describe_update(name="demo", updateId=update["id"])["update"]["status"] == "InProgress"
    sbx.control("POST", "clock", {"freeze": False})
    sbx.wait_until(update_done(eks, "demo", update["id"]), DEADLINE, "version update Successful")
    c = eks.describe_cluster(name="demo")["cluster"]
    assert (c["version"], c["status"]) == ("1.31", "ACTIVE")
    status, kube = sbx.control("GET", "kube/clusters/us-east-1/demo")
    assert kube["version"] == "1.31"


def test_cluster_upgrade_refused_while_a_nodegroup_is_behind(sbx):
    eks, _, subnets = active_cluster(sbx, version="1.30")
    active_nodegroup(sbx, eks, subnets)
    u = eks.update_cluster_version(name="demo", version="1.31")["update"]
    sbx.wait_until(update_done(eks, "demo", u["id"]), DEADLINE, "1.31")
    with pytest.raises(ClientError) as e:
        eks.update_cluster_version(name="demo", version="1.32")
    assert code(e) == "InvalidRequestException" and "system" in str(e.value)
    with pytest.raises(ClientError) as e:
        eks.update_nodegroup_version(clusterName="demo", nodegroupName="system", version="1.32")
    assert code(e) == "InvalidParameterException"
    sbx.control("POST", "clock", {"freeze": True})
    nu = eks.update_nodegroup_version(clusterName="demo", nodegroupName="system")["update"]
    assert eks.describe_nodegroup(clusterName="demo", nodegroupName="system")["nodegroup"]["status"] == "UPDATING"
    sbx.control("POST", "clock", {"freeze": False})
    sbx.wait_until(update_done(eks, "demo", nu["id"], nodegroupName="system"), DEADLINE, "node group update")
    ng = eks.describe_nodegroup(clusterName="demo", nodegroupName="system")["nodegroup"]
    assert ng["version"] == "1.31" and ng["releaseVersion"].startswith("1.31.")
    assert eks.list_updates(name="demo", nodegroupName="system")["updateIds"] == [nu["id"]]
    u2 = eks.update_cluster_version(name="demo", version="1.32")["update"]
    sbx.wait_until(update_done(eks, "demo", u2["id"]), DEADLINE, "1.32")


def test_addons_update_one_minor_at_a_time(sbx):
    eks, _, _ = active_cluster(sbx, version="1.30")
    versions = eks.describe_addon_versions(kubernetesVersion="1.30", addonName="vpc-cni")["addons"][0]["addonVersions"]
    default = [v["addonVersion"] for v in versions if v["compatibilities"][0]["defaultVersion"]]
    assert default == ["v1.18.6-eksbuild.1"]
    names = {a["addonName"] for a in eks.describe_addon_versions(kubernetesVersion="1.31")["addons"]}
    assert names == {"vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver"}
    addon = eks.create_addon(clusterName="demo", addonName="vpc-cni", addonVersion="v1.16.4-eksbuild.2")["addon"]
    assert addon["status"] == "CREATING"
    sbx.wait_until(lambda: eks.describe_addon(clusterName="demo", addonName="vpc-cni")["addon"]["status"] == "ACTIVE",
                   DEADLINE, "add-on ACTIVE")
    with pytest.raises(ClientError) as e:  # 1.29-era build straight to the 1.31-era build
        eks.update_addon(clusterName="demo", addonName="vpc-cni", addonVersion="v1.19.2-eksbuild.1")
    assert code(e) == "InvalidParameterException"
    u = eks.update_addon(clusterName="demo", addonName="vpc-cni", addonVersion="v1.18.6-eksbuild.1",
                         resolveConflicts="OVERWRITE")["update"]
    assert u["type"] == "AddonUpdate"
    sbx.wait_until(update_done(eks, "demo", u["id"], addonName="vpc-cni"), DEADLINE, "add-on update")
    assert eks.describe_addon(clusterName="demo", addonName="vpc-cni")["addon"]["addonVersion"] == "v1.18.6-eksbuild.1"
    with pytest.raises(ClientError) as e:  # downgrade
        eks.update_addon(clusterName="demo", addonName="vpc-cni", addonVersion="v1.16.4-eksbuild.2")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:  # kube-proxy must match the cluster minor
        eks.create_addon(clusterName="demo", addonName="kube-proxy", addonVersion="v1.31.10-eksbuild.3")
    assert code(e) == "InvalidParameterException"
    eks.delete_addon(clusterName="demo", addonName="vpc-cni")
    sbx.wait_until(lambda: eks.list_addons(clusterName="demo")["addons"] == [], DEADLINE, "add-on deleted")


def test_access_entries_and_pod_identity(sbx):
    eks, _, _ = active_cluster(sbx, accessConfig={"authenticationMode": "API",
                                                  "bootstrapClusterCreatorAdminPermissions": False})
    principal = "arn:aws:iam::123456789012:role/ci"
    entry = eks.create_access_entry(clusterName="demo", principalArn=principal, kubernetesGroups=["deployers"])
    assert entry["accessEntry"]["username"].startswith("arn:aws:sts::123456789012:assumed-role/ci/")
    with pytest.raises(ClientError) as e:
        eks.create_access_entry(clusterName="demo", principalArn=principal)
    assert code(e) == "ResourceInUseException"
    policy = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    eks.associate_access_policy(clusterName="demo", principalArn=principal, policyArn=policy,
                                accessScope={"type": "cluster"})
    listed = eks.list_associated_access_policies(clusterName="demo", principalArn=principal)
    assert [p["policyArn"] for p in listed["associatedAccessPolicies"]] == [policy]
    eks.disassociate_access_policy(clusterName="demo", principalArn=principal, policyArn=policy)
    eks.delete_access_entry(clusterName="demo", principalArn=principal)
    assert eks.list_access_entries(clusterName="demo")["accessEntries"] == []

    a = eks.create_pod_identity_association(clusterName="demo", namespace="kube-system", serviceAccount="ebs-csi",
                                            roleArn="arn:aws:iam::123456789012:role/ebs")["association"]
    assert a["associationId"].startswith("a-")
    with pytest.raises(ClientError) as e:
        eks.create_pod_identity_association(clusterName="demo", namespace="kube-system", serviceAccount="ebs-csi",
                                            roleArn="arn:aws:iam::123456789012:role/ebs")
    assert code(e) == "ResourceInUseException"
    associations = eks.list_pod_identity_associations(clusterName="demo")["associations"]
    assert associations[0]["associationId"] == a["associationId"]
    eks.tag_resource(resourceArn=a["associationArn"], tags={"k": "v"})
    assert eks.list_tags_for_resource(resourceArn=a["associationArn"])["tags"] == {"k": "v"}
    eks.delete_pod_identity_association(clusterName="demo", associationId=a["associationId"])
    with pytest.raises(ClientError) as e:
        eks.describe_pod_identity_association(clusterName="demo", associationId=a["associationId"])
    assert code(e) == "ResourceNotFoundException"


def test_access_entries_need_api_authentication_mode(sbx):
    eks, _, _ = active_cluster(sbx)  # CONFIG_MAP by default
    with pytest.raises(ClientError) as e:
        eks.create_access_entry(clusterName="demo", principalArn="arn:aws:iam::123456789012:role/ci")
    assert code(e) == "InvalidRequestException"
    u = eks.update_cluster_config(name="demo", accessConfig={"authenticationMode": "API_AND_CONFIG_MAP"})["update"]
    assert u["type"] == "AccessConfigUpdate" and u["status"] == "InProgress"
    sbx.wait_until(update_done(eks, "demo", u["id"]), DEADLINE, "config update")
    eks.create_access_entry(clusterName="demo", principalArn="arn:aws:iam::123456789012:role/ci")
    with pytest.raises(ClientError) as e:  # modes only move towards API
        eks.update_cluster_config(name="demo", accessConfig={"authenticationMode": "CONFIG_MAP"})
    assert code(e) == "InvalidParameterException"


def test_deletes_go_through_deleting(sbx):
    eks, _, subnets = active_cluster(sbx)
    active_nodegroup(sbx, eks, subnets)
    with pytest.raises(ClientError) as e:
        eks.delete_cluster(name="demo")
    assert code(e) == "ResourceInUseException"
    assert eks.delete_nodegroup(clusterName="demo", nodegroupName="system")["nodegroup"]["status"] == "DELETING"
    sbx.wait_until(lambda: eks.list_nodegroups(clusterName="demo")["nodegroups"] == [], DEADLINE, "node group gone")
    status, kube = sbx.control("GET", "kube/clusters/us-east-1/demo")
    assert "system" not in kube["nodegroups"]
    sg = eks.describe_cluster(name="demo")["cluster"]["resourcesVpcConfig"]["clusterSecurityGroupId"]
    assert eks.delete_cluster(name="demo")["cluster"]["status"] == "DELETING"
    sbx.wait_until(lambda: eks.list_clusters()["clusters"] == [], DEADLINE, "cluster gone")
    groups = sbx.client("ec2").describe_security_groups(Filters=[{"Name": "group-id", "Values": [sg]}])
    assert groups["SecurityGroups"] == []


def test_describe_cluster_versions_and_unimplemented_operation(sbx):
    eks = sbx.client("eks")
    versions = {v["clusterVersion"]: v for v in eks.describe_cluster_versions()["clusterVersions"]}
    assert set(versions) == {"1.28", "1.29", "1.30", "1.31", "1.32", "1.33"}
    assert [k for k, v in versions.items() if v["defaultVersion"]] == ["1.33"]
    assert versions["1.28"]["versionStatus"] == "EXTENDED_SUPPORT"
    assert versions["1.32"]["versionStatus"] == "STANDARD_SUPPORT"
    assert versions["1.31"]["kubernetesPatchVersion"].startswith("1.31.")
    only = eks.describe_cluster_versions(clusterVersions=["1.30"], versionStatus="EXTENDED_SUPPORT")
    assert [v["clusterVersion"] for v in only["clusterVersions"]] == ["1.30"]
    # Pagination follows nextToken to the end, and boto3's paginators work with it.
    first = eks.list_access_policies(maxResults=3)
    assert len(first["accessPolicies"]) == 3 and first["nextToken"]
    names = [p["name"] for page in eks.get_paginator("list_access_policies").paginate(PaginationConfig={"PageSize": 4})
             for p in page["accessPolicies"]]
    assert len(names) == len(set(names)) >= 10 and "AmazonEKSClusterAdminPolicy" in names
    with pytest.raises(ClientError) as e:
        eks.list_access_policies(nextToken="garbage!")
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        eks.list_fargate_profiles(clusterName="demo")
    assert code(e) == "UnknownOperationException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_nodegroup_launch_templates(sbx):
    eks, _, subnets = active_cluster(sbx, version="1.31")
    ec2 = sbx.client("ec2")
    plain = ec2.create_launch_template(LaunchTemplateName="nodes", LaunchTemplateData={
        "InstanceType": "m6i.large", "MetadataOptions": {"HttpTokens": "required"}})["LaunchTemplate"]
    ec2.create_launch_template(LaunchTemplateName="custom-ami", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "m6i.large"})
    ng = eks.create_nodegroup(clusterName="demo", nodegroupName="lt", subnets=subnets, nodeRole=NODE_ROLE,
                              launchTemplate={"id": plain["LaunchTemplateId"], "version": "1"})["nodegroup"]
    assert ng["amiType"] == "AL2023_x86_64_STANDARD" and ng["releaseVersion"].startswith("1.31.")
    assert ng["launchTemplate"] == {"name": "nodes", "version": "1", "id": plain["LaunchTemplateId"]}
    assert "diskSize" not in ng
    ng = eks.create_nodegroup(clusterName="demo", nodegroupName="custom", subnets=subnets, nodeRole=NODE_ROLE,
                              launchTemplate={"name": "custom-ami"})["nodegroup"]
    assert ng["amiType"] == "CUSTOM" and "releaseVersion" not in ng
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(clusterName="demo", nodegroupName="bad", subnets=subnets, nodeRole=NODE_ROLE,
                             launchTemplate={"name": "nope"})
    assert code(e) == "InvalidParameterException"
    with pytest.raises(ClientError) as e:
        eks.create_nodegroup(clusterName="demo", nodegroupName="al2", subnets=subnets, nodeRole=NODE_ROLE,
                             amiType="AL2_x86_64", releaseVersion="1.30.14-20250715")
    assert code(e) == "InvalidParameterException"
    ec2.create_launch_template_version(LaunchTemplateId=plain["LaunchTemplateId"], SourceVersion="1",
                                       LaunchTemplateData={"InstanceType": "m7i.large"})
    sbx.wait_until(lambda: eks.describe_nodegroup(clusterName="demo", nodegroupName="lt")["nodegroup"]["status"]
                   == "ACTIVE", DEADLINE, "node group ACTIVE")
    u = eks.update_nodegroup_version(clusterName="demo", nodegroupName="lt",
                                     launchTemplate={"id": plain["LaunchTemplateId"], "version": "2"})["update"]
    sbx.wait_until(update_done(eks, "demo", u["id"], nodegroupName="lt"), DEADLINE, "launch template rollout")
    ng = eks.describe_nodegroup(clusterName="demo", nodegroupName="lt")["nodegroup"]
    assert ng["launchTemplate"]["version"] == "2"
    schema = eks.describe_addon_configuration(addonName="coredns", addonVersion="v1.11.4-eksbuild.2")
    assert '"nodeSelector"' in schema["configurationSchema"]


def test_clock_stops_the_moment_the_counted_call_is_answered(sbx):
    """`freeze_after`: the clock runs through the answers before the N-th and stops with the
    N-th's, so that add-on stays CREATING however long the test takes to look, and goes on once
    the clock runs again."""
    eks, _, _ = active_cluster(sbx)
    status, _ = sbx.control("POST", "clock", {"freeze_after": {"service": "eks", "action": "CreateAddon", "count": 2}})
    assert status == 200
    eks.create_addon(clusterName="demo", addonName="vpc-cni")
    assert not sbx.control("GET", "clock")[1]["frozen"]
    eks.create_addon(clusterName="demo", addonName="coredns")
    assert sbx.control("GET", "clock")[1]["frozen"]
    assert eks.describe_addon(clusterName="demo", addonName="coredns")["addon"]["status"] == "CREATING"
    sbx.control("POST", "clock", {"freeze": False})
    sbx.wait_until(lambda: eks.describe_addon(clusterName="demo", addonName="coredns")["addon"]["status"] == "ACTIVE",
                   DEADLINE, "coredns ACTIVE once the clock runs again")
    status, doc = sbx.control("POST", "clock", {"freeze_after": {"service": "eks"}})
    assert status == 400 and "freeze_after" in doc["message"]


def test_nodegroup_keeps_its_node_repair_config(sbx):
    eks, _, subnets = active_cluster(sbx)
    active_nodegroup(sbx, eks, subnets, nodeRepairConfig={"enabled": True})
    def repair():
        return eks.describe_nodegroup(clusterName="demo", nodegroupName="system")["nodegroup"]["nodeRepairConfig"]

    assert repair() == {"enabled": True}
    active_nodegroup(sbx, eks, subnets, name="plain")
    assert "nodeRepairConfig" not in eks.describe_nodegroup(clusterName="demo", nodegroupName="plain")["nodegroup"]
    update = eks.update_nodegroup_config(
        clusterName="demo", nodegroupName="system", nodeRepairConfig={"enabled": False})["update"]
    sbx.wait_until(update_done(eks, "demo", update["id"], nodegroupName="system"), DEADLINE, "repair update Successful")
    assert repair() == {"enabled": False}
