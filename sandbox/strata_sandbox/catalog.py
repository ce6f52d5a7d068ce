"""Version catalogs the sandbox serves: Kubernetes versions EKS knows, EKS-optimized AMI
releases (shared by the SSM public parameters and node-group releaseVersion, so they agree),
and the add-on versions per Kubernetes minor.

The version strings follow AWS's formats; the exact patch numbers are representative, not a
mirror of a given day's AWS catalog.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

KUBERNETES_VERSIONS = ["1.28", "1.29", "1.30", "1.31", "1.32", "1.33"]
DEFAULT_VERSION = "1.33"

# Latest patch per minor, and the EKS platform version.
PATCH = {"1.28": "1.28.15", "1.29": "1.29.15", "1.30": "1.30.14", "1.31": "1.31.10", "1.32": "1.32.6", "1.33": "1.33.2"}
PLATFORM = {"1.28": "eks.45", "1.29": "eks.38", "1.30": "eks.32", "1.31": "eks.28", "1.32": "eks.14", "1.33": "eks.9"}

# Release dates used in DescribeClusterVersions (standard support starts there, 14 months standard).
RELEASE = {
    "1.28": ("2023-09-26", "2024-11-26", "2025-11-26"),
    "1.29": ("2024-01-23", "2025-03-23", "2026-03-23"),
    "1.30": ("2024-05-23", "2025-07-23", "2026-07-23"),
    "1.31": ("2024-09-26", "2025-11-26", "2026-11-26"),
    "1.32": ("2025-01-23", "2026-03-23", "2027-03-23"),
    "1.33": ("2025-05-29", "2026-07-29", "2027-07-29"),
}

AMI_BUILD_DATE = "20250715"
# The catalog is a snapshot of this day: support status in DescribeClusterVersions is computed as
# of it (not the machine's date), so every version the sandbox knows stays creatable.
CATALOG_DATE = "2025-08-01"
BOTTLEROCKET_VERSION = "1.42.0-7d3c8b9d"


def minor_index(version: str) -> int:
    return KUBERNETES_VERSIONS.index(version)


def next_minor(version: str) -> str | None:
    i = minor_index(version)
    return KUBERNETES_VERSIONS[i + 1] if i + 1 < len(KUBERNETES_VERSIONS) else None


def ami_release_version(version: str) -> str:
    """The EKS-optimized AL2/AL2023 release, e.g. ``1.31.10-20250715``."""
    return f"{PATCH[version]}-{AMI_BUILD_DATE}"


def ami_id(region: str, family: str, version: str, arch: str) -> str:
    digest = hashlib.sha256(f"{region}/{family}/{version}/{arch}/{AMI_BUILD_DATE}".encode()).hexdigest()
    return "ami-0" + digest[:16]


# AMI type -> (SSM family, arch) as EKS names them in CreateNodegroup's amiType.
AMI_TYPES = {
    "AL2_x86_64": ("amazon-linux-2", "x86_64"),
    "AL2_x86_64_GPU": ("amazon-linux-2-gpu", "x86_64"),
    "AL2_ARM_64": ("amazon-linux-2-arm64", "arm64"),
    "AL2023_x86_64_STANDARD": ("amazon-linux-2023", "x86_64"),
    "AL2023_ARM_64_STANDARD": ("amazon-linux-2023", "arm64"),
    "AL2023_x86_64_NVIDIA": ("amazon-linux-2023-nvidia", "x86_64"),
    "AL2023_x86_64_NEURON": ("amazon-linux-2023-neuron", "x86_64"),
    "BOTTLEROCKET_x86_64": ("bottlerocket", "x86_64"),
    "BOTTLEROCKET_ARM_64": ("bottlerocket", "arm64"),
    "CUSTOM": ("custom", "x86_64"),
}


def ami_type_supported(ami_type: str, version: str) -> bool:
    # AWS publishes no AL2 EKS-optimized AMIs from Kubernetes 1.33 on.
    if ami_type.startswith("AL2_") and minor_index(version) >= minor_index("1.33"):
        return False
    return ami_type in AMI_TYPES


def node_release_version(ami_type: str, version: str) -> str:
    if ami_type.startswith("BOTTLEROCKET"):
        return BOTTLEROCKET_VERSION
    return ami_release_version(version)


def ssm_public_parameters(region: str) -> dict[str, str]:
    """The /aws/service/eks/... and /aws/service/bottlerocket/... parameters moto lacks."""
    out: dict[str, str] = {}
    for v in KUBERNETES_VERSIONS:
        rel = ami_release_version(v)
        base = f"/aws/service/eks/optimized-ami/{v}"
        for arch in ("x86_64", "arm64"):
            for flavor in ("standard", "nvidia") if arch == "x86_64" else ("standard",):
                fam = "amazon-linux-2023" if flavor == "standard" else "amazon-linux-2023-nvidia"
                prefix = f"{base}/amazon-linux-2023/{arch}/{flavor}/recommended"
                image = ami_id(region, fam, v, arch)
                out[f"{prefix}/image_id"] = image
                out[f"{prefix}/release_version"] = rel
                out[f"{prefix}/image_name"] = f"amazon-eks-node-al2023-{arch}-{flavor}-{v}-v{AMI_BUILD_DATE}"
        if minor_index(v) < minor_index("1.33"):
            for fam, arch in (("amazon-linux-2", "x86_64"), ("amazon-linux-2-arm64", "arm64"),
                              ("amazon-linux-2-gpu", "x86_64")):
                prefix = f"{base}/{fam}/recommended"
                out[f"{prefix}/image_id"] = ami_id(region, fam, v, arch)
                out[f"{prefix}/release_version"] = rel
                node_family = fam.replace("amazon-linux-2", "amazon-eks-node")
                out[f"{prefix}/image_name"] = f"{node_family}-{v}-v{AMI_BUILD_DATE}"
        for arch in ("x86_64", "arm64"):
            for variant in ("", "-nvidia"):
                prefix = f"/aws/service/bottlerocket/aws-k8s-{v}{variant}/{arch}/latest"
                out[f"{prefix}/image_id"] = ami_id(region, f"bottlerocket{variant}", v, arch)
                out[f"{prefix}/image_version"] = BOTTLEROCKET_VERSION
    return out


EKS_AMI_OWNER = "602401143452"  # the account AWS publishes EKS-optimized AMIs from
BOTTLEROCKET_OWNER = "092701018921"


def eks_images(region: str) -> list[dict]:
    """The AMIs the SSM parameters point at, so DescribeImages finds them too."""
    params = ssm_public_parameters(region)
    out = []
    for name, image_id in params.items():
        if not name.endswith("/image_id"):
            continue
        arch = "arm64" if "/arm64" in name or "-arm64/" in name else "x86_64"
        if name.startswith("/aws/service/bottlerocket/"):
            flavor = name.split("/")[4]  # aws-k8s-1.31[-nvidia]
            release, build = BOTTLEROCKET_VERSION.split("-")[:2]
            ami_name = f"bottlerocket-{flavor}-{arch}-v{release}-{build}"
            owner, desc = BOTTLEROCKET_OWNER, f"Bottlerocket {flavor} {arch}"
        else:
            ami_name = params[name[: -len("image_id")] + "image_name"]
            owner, desc = EKS_AMI_OWNER, f"EKS-optimized Kubernetes node ({ami_name})"
        out.append({"id": image_id, "name": ami_name, "arch": arch, "owner": owner, "description": desc})
    return out


# ------------------------------------------------------------------ add-ons


@dataclass(frozen=True)
class AddonVersion:
    version: str
    # The Kubernetes minor this build was released for; updates move one home minor at a time.
    home: str
    # Kubernetes minors this build supports.
    kubernetes: tuple[str, ...]
    # Whether it is the default build for its home minor.
    default: bool
    architectures: tuple[str, ...] = ("amd64", "arm64")


@dataclass(frozen=True)
class Addon:
    name: str
    type: str
    owner: str
    publisher: str
    versions: tuple[AddonVersion, ...]


def _span(start: str, end: str | None = None) -> tuple[str, ...]:
    stop = minor_index(end) if end else len(KUBERNETES_VERSIONS) - 1
    return tuple(KUBERNETES_VERSIONS[minor_index(start) : stop + 1])


def _builds(table: list[tuple[str, str, tuple[str, ...], bool]]) -> tuple[AddonVersion, ...]:
    return tuple(AddonVersion(v, home, kube, default) for v, home, kube, default in table)


def _kube_proxy() -> tuple[AddonVersion, ...]:
    # kube-proxy must match the cluster minor exactly: one build family per minor.
    out = []
    for v in KUBERNETES_VERSIONS:
        out.append(AddonVersion(f"v{v}.0-eksbuild.2", v, (v,), False))
        out.append(AddonVersion(f"v{PATCH[v]}-eksbuild.3", v, (v,), True))
    return tuple(out)


ADDONS: dict[str, Addon] = {
    "vpc-cni": Addon("vpc-cni", "networking", "aws", "eks", _builds([
        ("v1.15.5-eksbuild.1", "1.28", _span("1.28", "1.30"), True),
        ("v1.16.4-eksbuild.2", "1.29", _span("1.28", "1.31"), True),
        ("v1.18.3-eksbuild.3", "1.30", _span("1.28"), False),
        ("v1.18.6-eksbuild.1", "1.30", _span("1.28"), True),
        ("v1.19.2-eksbuild.1", "1.31", _span("1.28"), True),
        ("v1.19.4-eksbuild.1", "1.32", _span("1.28"), True),
        ("v1.19.6-eksbuild.7", "1.33", _span("1.28"), True),
    ])),
    "kube-proxy": Addon("kube-proxy", "networking", "aws", "eks", _kube_proxy()),
    "coredns": Addon("coredns", "networking", "aws", "eks", _builds([
        ("v1.10.1-eksbuild.18", "1.28", ("1.28",), True),
        ("v1.11.1-eksbuild.13", "1.29", _span("1.29"), True),
        ("v1.11.3-eksbuild.1", "1.30", _span("1.29"), False),
        ("v1.11.3-eksbuild.2", "1.30", _span("1.29"), True),
        ("v1.11.4-eksbuild.2", "1.31", _span("1.29"), True),
        ("v1.11.4-eksbuild.14", "1.32", _span("1.29"), True),
        ("v1.12.1-eksbuild.2", "1.33", _span("1.30"), True),
    ])),
    "eks-pod-identity-agent": Addon("eks-pod-identity-agent", "security", "aws", "eks", _builds([
        ("v1.2.0-eksbuild.1", "1.28", _span("1.28"), True),
        ("v1.3.0-eksbuild.1", "1.29", _span("1.28"), True),
        ("v1.3.2-eksbuild.2", "1.30", _span("1.28"), True),
        ("v1.3.4-eksbuild.1", "1.31", _span("1.28"), True),
        ("v1.3.5-eksbuild.2", "1.32", _span("1.28"), True),
        ("v1.3.7-eksbuild.2", "1.33", _span("1.28"), True),
    ])),
    "aws-ebs-csi-driver": Addon("aws-ebs-csi-driver", "storage", "aws", "eks", _builds([
        ("v1.26.1-eksbuild.1", "1.28", _span("1.28", "1.31"), True),
        ("v1.30.0-eksbuild.1", "1.29", _span("1.28"), True),
        ("v1.32.0-eksbuild.1", "1.30", _span("1.28"), True),
        ("v1.35.0-eksbuild.2", "1.31", _span("1.28"), True),
        ("v1.41.0-eksbuild.1", "1.32", _span("1.28"), True),
        ("v1.45.0-eksbuild.2", "1.33", _span("1.28"), True),
    ])),
}


def addon_version(name: str, version: str) -> AddonVersion | None:
    addon = ADDONS.get(name)
    if addon is None:
        return None
    for av in addon.versions:
        if av.version == version:
            return av
    return None


def default_addon_version(name: str, kubernetes: str) -> AddonVersion | None:
    addon = ADDONS.get(name)
    if addon is None:
        return None
    for av in addon.versions:
        if av.home == kubernetes and av.default:
            return av
    compatible = [av for av in addon.versions if kubernetes in av.kubernetes]
    return compatible[-1] if compatible else None


def addon_minor(version: str) -> tuple[int, int]:
    """``v1.19.2-eksbuild.1`` -> (1, 19)."""
    core = version.lstrip("v").split("-")[0].split(".")
    return int(core[0]), int(core[1])
