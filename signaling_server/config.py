"""Server configuration: command-line flags, optionally a TOML file, and the secret file.

The secret signs invites and resume keys. ``serve`` creates it (mode 0600) on first
start if it does not exist; ``invite`` must read the same file.
"""

from __future__ import annotations

import os
import stat
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

from signaling_server.core import Limits
from signaling_server.tokens import TurnConfig, new_secret


def default_secret_file() -> Path:
    if env := os.environ.get("ULTRASOUND_CONSULT_SECRET_FILE"):
        return Path(env)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "ultrasound-consult" / "signaling.secret"


class ConfigError(ValueError):
    """A configuration problem; the text says what to fix."""


def read_secret(path: Path, *, create: bool) -> bytes:
    if env := os.environ.get("ULTRASOUND_CONSULT_SECRET"):
        return _parse_secret(env, "ULTRASOUND_CONSULT_SECRET")
    if not path.exists():
        if not create:
            raise ConfigError(
                f"no server secret at {path}. Start the server once (it creates it), "
                "or pass the server's --secret-file."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_secret().hex() + "\n")
        print(f"created a new server secret in {path} (keep it private)", file=sys.stderr)
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        print(f"warning: {path} is readable by others; chmod 600 it", file=sys.stderr)
    return _parse_secret(path.read_text().strip(), str(path))


def _parse_secret(text: str, where: str) -> bytes:
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        raise ConfigError(f"{where} must hold the secret as hex") from None
    if len(secret) < 16:
        raise ConfigError(f"{where}: the secret must be at least 16 bytes (32 hex digits)")
    return secret


def _check_toml_type(path: Path, key: str, value: Any, hint: Any) -> None:
    """TOML has types; a port written as "8765" or a list as a string is said so here,
    not found later as a crash."""
    text = str(hint)
    if "list" in text:
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        want = "a list of strings"
    elif hint is int or text == "int":
        ok, want = isinstance(value, int) and not isinstance(value, bool), "a whole number"
    elif hint is float or text == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        want = "a number"
    else:  # str, Path and their optional forms
        ok, want = isinstance(value, str), "a string"
    if not ok:
        raise ConfigError(f"{path}: {key} must be {want}, not {value!r}")


@dataclass
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8765
    secret_file: Path = field(default_factory=default_secret_file)
    tls_cert: Path | None = None
    tls_key: Path | None = None
    redis: str | None = None
    stun: list[str] = field(default_factory=list)
    turn: list[str] = field(default_factory=list)
    turn_secret_file: Path | None = None
    turn_ttl_s: float = 24 * 3600.0
    max_rooms: int = Limits.max_rooms
    max_peers_per_room: int = Limits.max_peers_per_room
    max_experts: int = Limits.max_experts
    max_observers: int = Limits.max_observers
    #: Observers (trainees) per room when an SFU carries lectures: they cost the
    #: station nothing then, so a county's trainees fit.
    max_trainees: int = 120
    max_connections: int = 20_000
    #: Open sockets one client address may hold, and of those still in their opening
    #: handshake (slowloris); 0 for no limit. A clinic behind one NAT address needs a few.
    max_connections_per_address: int = 200
    max_handshakes_per_address: int = 50
    #: Who may read /metrics: "loopback" (this host only), "open" (anyone who reaches
    #: the port), or "token" (anyone presenting metrics_token_file's token).
    metrics: str = "loopback"
    metrics_token_file: Path | None = None
    #: A Janus SFU for lectures, ``janus:ws://host:port``, and the file holding its secret
    #: (Janus's api_secret, token_auth_secret and VideoRoom admin_key; deploy/janus/).
    sfu: str | None = None
    sfu_secret_file: Path | None = None
    log_level: str = "INFO"
    #: The consult service's database: a SQLite file (default: consult.db beside the
    #: secret file, owner-only) or postgresql://user@host/db (several processes).
    database: str | None = None
    #: How long an expert's app rings before the call counts as unanswered.
    ring_timeout_s: float = 45.0
    #: The admin page (devices, consult log, enroll, revoke): off unless a port is given;
    #: loopback unless admin_host says otherwise.
    admin_port: int | None = None
    admin_host: str = "127.0.0.1"
    admin_password_file: Path | None = None

    @classmethod
    def from_toml(cls, path: Path) -> dict[str, Any]:
        try:
            data = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from None
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"{path}: unknown settings {sorted(unknown)}; known: {sorted(known)}")
        hints = get_type_hints(cls)
        for key, value in data.items():
            _check_toml_type(path, key, value, hints[key])
            if "Path" in str(hints[key]) and value:
                data[key] = Path(value)
        return data

    def database_url(self) -> str:
        return self.database or str(Path(self.secret_file).parent / "consult.db")

    def limits(self) -> Limits:
        observers, peers = self.max_observers, self.max_peers_per_room
        if self.sfu:
            observers = max(observers, self.max_trainees)
            peers = max(peers, observers + self.max_experts + 1)
        return Limits(
            max_rooms=self.max_rooms,
            max_peers_per_room=peers,
            max_experts=self.max_experts,
            max_observers=observers,
        )

    def metrics_token(self) -> str | None:
        if self.metrics != "token" or self.metrics_token_file is None:
            return None
        try:
            token = self.metrics_token_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the metrics token: {exc}") from None
        if len(token) < 16:
            raise ConfigError(f"{self.metrics_token_file}: the token must be 16 characters or more")
        return token

    def sfu_config(self) -> tuple[str, str] | None:
        """The SFU's WebSocket URL and secret, or None without ``--sfu``."""
        if self.sfu is None:
            return None
        from signaling_server.sfu import parse_sfu_url

        try:
            url = parse_sfu_url(self.sfu)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        if self.sfu_secret_file is None:
            raise ConfigError("--sfu needs --sfu-secret-file (the secret in Janus's config)")
        try:
            secret = self.sfu_secret_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the SFU secret: {exc.strerror or exc}") from None
        if len(secret) < 16 or '"' in secret or "\\" in secret:
            raise ConfigError(
                f"{self.sfu_secret_file}: the SFU secret must be 16 characters or more, "
                "without quotes or backslashes (openssl rand -hex 32 makes one)"
            )
        return url, secret

    def turn_config(self) -> TurnConfig | None:
        if not self.turn:
            return None
        if self.turn_secret_file is None:
            raise ConfigError("TURN URLs need --turn-secret-file (coturn's static-auth-secret)")
        try:
            secret = self.turn_secret_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read the TURN secret: {exc}") from None
        return TurnConfig(urls=tuple(self.turn), secret=secret, ttl_s=self.turn_ttl_s)

    def check(self) -> None:
        if self.metrics not in ("loopback", "open", "token"):
            raise ConfigError("metrics must be loopback, open or token")
        if self.metrics == "token" and self.metrics_token_file is None:
            raise ConfigError("--metrics token needs --metrics-token-file")
        limits = ("max_connections", "max_connections_per_address", "max_handshakes_per_address")
        for name in limits:
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be 0 or more")
        if self.admin_port is not None and self.admin_password_file is None:
            raise ConfigError("--admin-port needs --admin-password-file")
        if not 1.0 <= self.ring_timeout_s <= 600.0:
            raise ConfigError("ring_timeout_s must be between 1 and 600 seconds")
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ConfigError("TLS needs both --tls-cert and --tls-key")
        for url in [*self.stun, *self.turn]:
            if not url.startswith(("stun:", "stuns:", "turn:", "turns:")):
                raise ConfigError(f"{url!r} is not a stun:/turn: URL")
