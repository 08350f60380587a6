"""This device's signing key: an expert signs each opinion with it (Ed25519).

Made on first use and kept owner-only in the configuration directory; the private
key never leaves the device and is never logged. A station checks the signature
against the public key the opinion carries (the opinion cannot have been changed on
the way or afterwards), and shows the key's fingerprint with the signer's name as
the server admitted it.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import replace
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ultrasound_consult.media.mask_store import config_dir
from ultrasound_consult.protocol.opinion import Opinion

KEY_FILE = "signing-key.pem"


class SigningError(ValueError):
    """The key cannot be read or written; the message says what to do."""


class DeviceKey:
    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public = base64.b64encode(raw).decode()

    def __repr__(self) -> str:  # never the private key
        return f"DeviceKey({fingerprint(self.public)})"

    @classmethod
    def load_or_create(cls, path: Path | None = None) -> DeviceKey:
        path = path or config_dir() / KEY_FILE
        if path.exists():
            try:
                key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            except (OSError, ValueError) as exc:
                raise SigningError(
                    f"the signing key {path} cannot be read ({exc}); move it away and a new "
                    "one is made (opinions signed with the old one still verify)"
                ) from None
            if not isinstance(key, Ed25519PrivateKey):
                raise SigningError(f"{path} is not an Ed25519 key")
            return cls(key)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        return cls(key)

    def sign(self, opinion: Opinion) -> Opinion:
        unsigned = replace(opinion, key=self.public, signature="")
        signature = self._private.sign(unsigned.signed_bytes())
        return replace(unsigned, signature=base64.b64encode(signature).decode())


def verify(opinion: Opinion) -> bool:
    """Whether the opinion is exactly what the holder of its key signed."""
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(opinion.key, validate=True))
        key.verify(base64.b64decode(opinion.signature, validate=True), opinion.signed_bytes())
    except (ValueError, InvalidSignature):
        return False
    return True


def fingerprint(public: str) -> str:
    """A short, readable name of a public key (the first 16 hex digits of its SHA-256)."""
    digest = hashlib.sha256(public.encode()).hexdigest()[:16]
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))
