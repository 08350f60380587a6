"""The app against a real ``wss://`` signalling server (issue #13, item 3).

With no ``--ca-file`` the app trusts the system's certificate store: here a test CA is
made "installed" for the app's process through ``SSL_CERT_FILE``, which OpenSSL reads
as the system store's location, so exactly the default path is exercised. A server
whose CA is not trusted gives the clear "does not trust" message, never a traceback.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signaling_server.process import SignalingServerProcess
from ultrasound_consult.session.server_check import check_server

CLI = [sys.executable, "-m", "ultrasound_consult"]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_ca_and_server_cert(folder: Path, label: str) -> tuple[Path, Path, Path]:
    """A CA certificate, and a server certificate it signed for localhost/127.0.0.1."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{label} test CA"))
        .issuer_name(_name(f"{label} test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_path, cert_path, key_path = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_pem_key(key))
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """A real wss:// server; yields its URL, its CA, and another CA that did not sign it."""
    folder = tmp_path_factory.mktemp("tls")
    ca, cert, key = make_ca_and_server_cert(folder / "clinic", "Clinic")
    other_ca, _, _ = make_ca_and_server_cert(folder / "other", "Other")
    with SignalingServerProcess(
        extra_args=["--tls-cert", str(cert), "--tls-key", str(key)]
    ) as server:
        assert server.url.startswith("wss://127.0.0.1:")
        yield server.url, ca, other_ca, server


def run_station(url: str, code: str, env_extra: dict[str, str], *args: str):
    env = {**os.environ, **env_extra}
    env.pop("SSL_CERT_DIR", None)
    return subprocess.run(
        [*CLI, "station", "--server", url, "--invite", code, "--name", "Clinic",
         "--source", "synthetic:160x120@10", "--headless", "--duration", "1", *args],
        capture_output=True, text=True, timeout=90, env=env,
    )  # fmt: skip


def test_a_server_with_a_trusted_ca_needs_no_ca_file(tls_server):
    url, ca, _other, server = tls_server
    proc = run_station(url, server.invite("tls-a", "station"), {"SSL_CERT_FILE": str(ca)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert '"role": "station"' in proc.stdout or '"role":"station"' in proc.stdout


def test_an_untrusted_server_says_so_and_what_to_do(tls_server):
    url, _ca, other_ca, server = tls_server
    proc = run_station(url, server.invite("tls-b", "station"), {"SSL_CERT_FILE": str(other_ca)})
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    out = proc.stdout + proc.stderr
    assert "does not trust" in out and "--ca-file" in out, out[-2000:]


def test_ca_file_adds_to_the_trust_store(tls_server):
    url, ca, other_ca, server = tls_server
    proc = run_station(
        url,
        server.invite("tls-c", "station"),
        {"SSL_CERT_FILE": str(other_ca)},
        "--ca-file",
        str(ca),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


async def test_the_server_check_uses_the_system_store_too(tls_server, monkeypatch):
    url, ca, other_ca, _server = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(ca))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    good = await check_server(url, pings=1)
    assert good.ok, good.message
    monkeypatch.setenv("SSL_CERT_FILE", str(other_ca))
    refused = await check_server(url, pings=1)
    assert not refused.ok and refused.code == "tls_untrusted"
    assert "does not trust" in refused.message
