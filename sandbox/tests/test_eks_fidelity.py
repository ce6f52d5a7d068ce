"""EKS fields a client reads back after apply: what CreateCluster/CreateAddon accepted must come
back from Describe*, or "plan after apply" shows a diff that is not there."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from test_eks import DEADLINE, ROLE, active_cluster, code, network, status_is, update_done

KEY = "arn:aws:kms:us-east-1:123456789012:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
OTHER_KEY = "arn:aws:kms:us-east-1:123456789012:key/ffffffff-4f50-6172-8394-a5b6c7d8e9f0"
POD_ROLE = "arn:aws:iam::123456789012:role/ebs-csi"


def test_create_cluster_settings_come_back_from_describe(sbx):
    vpc, subnets = network(sbx)
    eks = sbx.client("eks")
    eks.create_cluster(
        name="prod", version="1.31", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY}}],
        logging={"clusterLogging": [{"types": ["api", "audit"], "enabled": True}]},
        accessConfig={"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
        upgradePolicy={"supportType": "STANDARD"},
        zonalShiftConfig={"enabled": True},
        tags={"strata:stack": "prod"},
    )
    sbx.wait_until(status_is(eks, "prod", "ACTIVE"), DEADLINE, "cluster ACTIVE")
    c = eks.describe_cluster(name="prod")["cluster"]
    assert c["encryptionConfig"] == [{"resources": ["secrets"], "provider": {"keyArn": KEY}}]
    assert {"types": ["api", "audit"], "enabled": True} in c["logging"]["clusterLogging"]
    assert {"types": ["authenticator", "controllerManager", "scheduler"], "enabled": False} in \
        c["logging"]["clusterLogging"]
    assert c["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert c["upgradePolicy"] == {"supportType": "STANDARD"}
    assert c["zonalShiftConfig"] == {"enabled": True}
    assert c["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == "172.20.0.0/16"
    assert c["kubernetesNetworkConfig"]["ipFamily"] == "ipv4"
    assert c["tags"] == {"strata:stack": "prod"}


def test_cluster_without_encryption_has_none_and_bad_config_is_refused(sbx):
    eks, _, subnets = active_cluster(sbx)
    assert "encryptionConfig" not in eks.describe_cluster(name="demo")["cluster"]
    with pytest.raises(ClientError) as e:
        eks.create_cluster(name="bad", roleArn=ROLE, resourcesVpcConfig={"subnetIds": subnets},
                           encryptionConfig=[{"resources": ["configmaps"], "provider": {"keyArn": KEY}}])
    assert code(e) == "InvalidParameterException"


def test_associate_encryption_config_is_an_update_then_shows_in_describe(sbx):
    eks, _, _ = active_cluster(sbx)
    sbx.control("POST", "/_sandbox/clock", {"freeze": True})
    update = eks.associate_encryption_config(
        clusterName="demo", encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": KEY}}])["update"]
    assert update["type"] == "AssociateEncryptionConfig"
    assert update["status"] == "InProgress"
    assert update["params"][0]["type"] == "EncryptionConfig"
    c = eks.describe_cluster(name="demo")["cluster"]
    assert c["status"] == "UPDATING"
    assert "encryptionConfig" not in c
    assert update["id"] in eks.list_updates(name="demo")["updateIds"]
    sbx.control("POST", "/_sandbox/clock", {"freeze": False})
    sbx.wait_until(update_done(eks, "demo", update["id"]), DEADLINE, "encryption associated")
    c = eks.describe_cluster(name="demo")["cluster"]
    assert c["status"] == "ACTIVE"
    assert c["encryptionConfig"] == [{"resources": ["secrets"], "provider": {"keyArn": KEY}}]
    with pytest.raises(ClientError) as e:
        eks.associate_encryption_config(
            clusterName="demo", encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": OTHER_KEY}}])
    assert code(e) == "InvalidParameterException"
    assert "already enabled" in str(e.value)


def addon_active(eks, name):
    return lambda: eks.describe_addon(clusterName="demo", addonName=name)["addon"]["status"] == "ACTIVE"


def listed(eks):
    return {a["serviceAccount"]: a for a in eks.list_pod_identity_associations(clusterName="demo")["associations"]}


def test_addon_pod_identity_associations_are_created_replaced_and_removed(sbx):
    eks, _, _ = active_cluster(sbx)
    created = eks.create_addon(
        clusterName="demo", addonName="aws-ebs-csi-driver",
        podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": POD_ROLE}],
    )["addon"]
    sbx.wait_until(addon_active(eks, "aws-ebs-csi-driver"), DEADLINE, "add-on ACTIVE")
    addon = eks.describe_addon(clusterName="demo", addonName="aws-ebs-csi-driver")["addon"]
    assoc = listed(eks)["ebs-csi-controller-sa"]
    assert addon["podIdentityAssociations"] == [assoc["associationArn"]]
    assert created["podIdentityAssociations"] == [assoc["associationArn"]]
    assert assoc["ownerArn"] == addon["addonArn"]
    assert assoc["namespace"] == "kube-system"
    full = eks.describe_pod_identity_association(clusterName="demo", associationId=assoc["associationId"])
    assert full["association"]["roleArn"] == POD_ROLE
    assert full["association"]["ownerArn"] == addon["addonArn"]

    # The same list again changes nothing; a new list replaces the add-on's associations.
    with pytest.raises(ClientError) as e:
        eks.update_addon(clusterName="demo", addonName="aws-ebs-csi-driver",
                         podIdentityAssociations=[{"serviceAccount": "ebs-csi-controller-sa", "roleArn": POD_ROLE}])
    assert code(e) == "InvalidParameterException"
    other = "arn:aws:iam::123456789012:role/ebs-csi-node"
    update = eks.update_addon(
        clusterName="demo", addonName="aws-ebs-csi-driver",
        podIdentityAssociations=[{"serviceAccount": "ebs-csi-node-sa", "roleArn": other}])["update"]
    assert update["params"][0]["type"] == "PodIdentityAssociations"
    sbx.wait_until(update_done(eks, "demo", update["id"], addonName="aws-ebs-csi-driver"), DEADLINE, "update")
    now = listed(eks)
    assert set(now) == {"ebs-csi-node-sa"}
    assert eks.describe_addon(clusterName="demo", addonName="aws-ebs-csi-driver")["addon"][
        "podIdentityAssociations"] == [now["ebs-csi-node-sa"]["associationArn"]]

    # A service account someone else already associated is refused.
    eks.create_pod_identity_association(clusterName="demo", namespace="kube-system",
                                        serviceAccount="aws-node", roleArn=POD_ROLE)
    with pytest.raises(ClientError) as e:
        eks.create_addon(clusterName="demo", addonName="vpc-cni",
                         podIdentityAssociations=[{"serviceAccount": "aws-node", "roleArn": POD_ROLE}])
    assert code(e) == "ResourceInUseException"

    eks.delete_addon(clusterName="demo", addonName="aws-ebs-csi-driver")

    def addon_gone():
        try:
            eks.describe_addon(clusterName="demo", addonName="aws-ebs-csi-driver")
            return False
        except ClientError:
            return True

    sbx.wait_until(addon_gone, DEADLINE, "add-on deleted")
    assert set(listed(eks)) == {"aws-node"}
    assert "ownerArn" not in listed(eks)["aws-node"]


def test_addon_without_pod_identities_describes_an_empty_list(sbx):
    eks, _, _ = active_cluster(sbx)
    eks.create_addon(clusterName="demo", addonName="coredns")
    assert eks.describe_addon(clusterName="demo", addonName="coredns")["addon"]["podIdentityAssociations"] == []


def test_zonal_shift_is_updated_by_update_cluster_config(sbx):
    eks, _, _ = active_cluster(sbx)
    update = eks.update_cluster_config(name="demo", zonalShiftConfig={"enabled": True})["update"]
    assert update["type"] == "ZonalShiftConfigUpdate"
    sbx.wait_until(update_done(eks, "demo", update["id"]), DEADLINE, "zonal shift update")
    assert eks.describe_cluster(name="demo")["cluster"]["zonalShiftConfig"] == {"enabled": True}
    with pytest.raises(ClientError) as e:
        eks.update_cluster_config(name="demo", zonalShiftConfig={"enabled": True})
    assert code(e) == "InvalidParameterException"
