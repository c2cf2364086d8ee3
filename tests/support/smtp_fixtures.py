"""pytest fixtures for SMTP tests: a throwaway CA and server certificate, and the sink factory.

    def test_something(smtp_sink):
        sink = smtp_sink(tls="starttls", auth=("u", "p"))
        ...

Every sink a test starts is stopped after it. ``smtp_sink_cert.cafile`` is the CA a client
must trust to verify the sink's certificate; without it the certificate is self-signed.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.smtp_sink import SmtpSink


@dataclass(frozen=True)
class SinkCertificate:
    cafile: str
    certfile: str
    keyfile: str


def make_certificate(directory: Path) -> SinkCertificate:
    """A CA and a server certificate for localhost / 127.0.0.1, valid for a day."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ledgermail test CA")])
    ca = (_builder(ca_name, ca_name, ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(_usage(cert_sign=True), critical=True)
          .sign(ca_key, hashes.SHA256()))
    leaf = (_builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), ca_name,
                     key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_usage(cert_sign=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = SinkCertificate(*(str(directory / name) for name in ("ca.pem", "cert.pem", "key.pem")))
    Path(paths.cafile).write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    Path(paths.certfile).write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    Path(paths.keyfile).write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return paths


def _builder(subject: x509.Name, issuer: x509.Name, public_key: Any) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


@pytest.fixture(scope="session")
def smtp_sink_cert(tmp_path_factory: pytest.TempPathFactory) -> SinkCertificate:
    return make_certificate(tmp_path_factory.mktemp("smtp-sink-tls"))


@pytest.fixture
def smtp_sink(smtp_sink_cert: SinkCertificate) -> Iterator[Callable[..., SmtpSink]]:
    """A factory: ``smtp_sink(tls=..., auth=..., auth_required=...)`` returns a started sink."""
    sinks: list[SmtpSink] = []

    def start(**options: Any) -> SmtpSink:
        sink = SmtpSink(certfile=smtp_sink_cert.certfile, keyfile=smtp_sink_cert.keyfile, **options)
        sinks.append(sink.start())
        return sink

    yield start
    for sink in sinks:
        sink.stop()
