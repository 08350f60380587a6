"""``python -m signaling_server check-config``: read the configuration as ``serve`` would,
try everything that can be tried without listening, and say what the server would do.

For an IT person before a restart (``ExecStartPre=`` in the systemd unit) and in a
container's build: a wrong key, an unreadable certificate or a missing extra fails here
with the fix in words, not at 3 a.m. when the service restarts.
"""

from __future__ import annotations

import importlib.util
import os
import ssl
from urllib.parse import urlsplit

from signaling_server.config import ConfigError, ServerSettings, read_secret
from signaling_server.guard import connection_budget, raise_fd_limit


def check_config(settings: ServerSettings) -> list[str]:
    """What the server would do, one line each; raises :class:`ConfigError` on a problem."""
    settings.check()
    lines = [f"listen on {settings.host}:{settings.port}"]
    if settings.secret_file.exists():
        read_secret(settings.secret_file, create=False)
        lines.append(f"server secret: {settings.secret_file} (readable)")
    else:
        parent = settings.secret_file.parent
        lines.append(f"server secret: {settings.secret_file} does not exist yet; serve creates it")
        if parent.exists() and not os.access(parent, os.W_OK):
            raise ConfigError(f"{parent} is not writable: serve could not create the secret")
    if settings.tls_cert is not None and settings.tls_key is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(settings.tls_cert, settings.tls_key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"cannot use the TLS certificate {settings.tls_cert} with key "
                f"{settings.tls_key}: {exc}"
            ) from None
        lines.append(f"TLS: wss:// with {settings.tls_cert}")
    else:
        lines.append("TLS: off (ws://); use it only behind a TLS reverse proxy or for a test")
    if settings.redis:
        if urlsplit(settings.redis).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError(f"redis: {settings.redis!r} is not a redis:// URL")
        if importlib.util.find_spec("redis") is None:
            raise ConfigError(
                "redis is set but the 'redis' package is missing: "
                "pipx install 'ultrasound-consult-server[redis]' (or pip install redis)"
            )
        lines.append(f"Redis backplane: {settings.redis} (not contacted by this check)")
    turn = settings.turn_config()
    if turn is not None:
        lines.append(f"TURN: {', '.join(turn.urls)}, credentials valid {turn.ttl_s:g} s")
    if settings.stun:
        lines.append(f"STUN: {', '.join(settings.stun)}")
    settings.metrics_token()
    lines.append(f"/metrics: {settings.metrics}")
    budget = connection_budget(raise_fd_limit())
    if settings.max_connections > budget:
        lines.append(
            f"max_connections {settings.max_connections} does not fit the open-file limit: "
            f"{budget} will be used (raise LimitNOFILE)"
        )
    else:
        lines.append(f"connections: up to {settings.max_connections}")
    lines.append(f"log level: {settings.log_level}")
    return lines
