"""Per-cluster PKI: a self-signed cluster CA and a serving certificate it signs.

EKS hands every cluster its own CA (DescribeCluster's certificateAuthority.data); clients pin
it. Each sandbox cluster gets a fresh CA so a client that trusts one cluster's CA cannot talk to
another cluster by mistake, exactly as with real EKS.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import tempfile
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class ClusterPKI:
    ca_pem: bytes
    cert_pem: bytes
    key_pem: bytes

    def write_chain(self, directory: str) -> tuple[str, str]:
        """Writes the serving cert and key to files (ssl needs paths); returns (cert, key)."""
        cert_path = os.path.join(directory, "apiserver.crt")
        key_path = os.path.join(directory, "apiserver.key")
        with open(cert_path, "wb") as f:
            f.write(self.cert_pem)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self.key_pem)
        return cert_path, key_path


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def issue_cluster_pki(cluster_name: str) -> ClusterPKI:
    """Creates a CA named after the cluster and an API-server certificate for 127.0.0.1/localhost.

    P-256 keys keep generation fast (tests create many clusters); validity starts a minute in
    the past so a client clock a little behind still accepts the certificate.
    """
    not_before = _now() - datetime.timedelta(minutes=1)
    not_after = not_before + datetime.timedelta(days=365)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, "kubernetes"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, f"strata-sandbox {cluster_name}"),
    ])
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_encipherment=False, key_cert_sign=False,
                crl_sign=False, content_commitment=False, data_encipherment=False,
                key_agreement=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.DNSName("localhost"),
                x509.DNSName("kubernetes"),
                x509.DNSName("kubernetes.default.svc"),
            ]),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )

    return ClusterPKI(
        ca_pem=ca_cert.public_bytes(serialization.Encoding.PEM),
        cert_pem=cert.public_bytes(serialization.Encoding.PEM),
        key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )


def server_context(pki: ClusterPKI):
    """An ssl.SSLContext serving the cluster's certificate (key files live only briefly on disk)."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    with tempfile.TemporaryDirectory(prefix="strata-kube-pki-") as d:
        cert_path, key_path = pki.write_chain(d)
        ctx.load_cert_chain(cert_path, key_path)
    return ctx
