"""Enrollment codes and device credentials: made, shown once, and kept only as hashes.

A code is 12 characters of Crockford base32 (60 bits) in three groups, e.g.
``K7Q2-9MXD-4TRA``: short enough to type, single use, expiring (24 h by default), and
redeemed at a rate-limited endpoint. A credential is 256 random bits, URL-safe base64,
prefixed ``ucd_`` so a leaked one is easy to recognise. Both are stored as SHA-256:
they are random, so a slow password hash would add nothing. Nothing here logs them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

# Re-exported: the server's commands and tests name kinds from here.
from ultrasound_consult.protocol.consult import DeviceKind as DeviceKind
from ultrasound_consult.protocol.invite import ALPHABET

CODE_CHARS = 12
CREDENTIAL_PREFIX = "ucd_"
DEFAULT_CODE_TTL_S = 24 * 3600.0
_CODE_RE = re.compile(r"^[0-9A-Z]{12}$")
MAX_SPECIALTIES = 8
_SPECIALTY_RE = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
    return f"{raw[0:4]}-{raw[4:8]}-{raw[8:12]}"


def normalise_code(text: str) -> str | None:
    """The code as stored (upper case, no dashes or spaces; O->0, I/L->1), or None."""
    raw = re.sub(r"[\s-]", "", text).upper().replace("O", "0").replace("I", "1")
    raw = raw.replace("L", "1")
    return raw if _CODE_RE.match(raw) and all(c in ALPHABET for c in raw) else None


def new_credential() -> str:
    return CREDENTIAL_PREFIX + secrets.token_urlsafe(32)


def digest(secret_text: str) -> str:
    return hashlib.sha256(secret_text.encode("utf-8")).hexdigest()


def parse_specialties(text: str) -> list[str]:
    """``"msk, cardiac"`` -> ``["msk", "cardiac"]``; raises ValueError with the reason."""
    names = [s.strip().lower() for s in text.split(",") if s.strip()]
    if len(names) > MAX_SPECIALTIES:
        raise ValueError(f"at most {MAX_SPECIALTIES} specialties")
    for name in names:
        if not _SPECIALTY_RE.match(name):
            raise ValueError(f"{name!r}: a specialty is a short lower-case word like msk or ob-gyn")
    return sorted(set(names))


def enroll_link(server: str, code: str) -> str:
    """What the QR code holds: the server and the code, which the app's enroll reads."""
    return f"ultrasound-consult://enroll?server={server}&code={code}"


def write_qr_png(text: str, path: Path) -> None:
    """A QR code PNG of ``text``. segno (pure Python) rather than the app's OpenCV
    encoder: the server deploys without media libraries."""
    import segno

    segno.make(text, error="m").save(str(path), scale=8, border=4)
