"""``python -m signaling_server [serve] ...`` runs the server; ``... invite`` mints invites;
``enroll``, ``revoke``, ``list`` and ``log`` manage the consult service (admin_cli.py).
``... check-config`` checks a configuration without starting.

``serve`` prints the URL it actually listens on as the first line of stdout (useful
with ``--port 0``); logs go to stderr and never contain invite codes or keys.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import signal
import sys
import time
from dataclasses import fields
from pathlib import Path

from signaling_server.admin_page import AdminConfigError, read_admin_password
from signaling_server.config import ConfigError, ServerSettings, default_secret_file, read_secret
from signaling_server.durations import parse_ttl
from signaling_server.guard import connection_budget, fds_needed, raise_fd_limit
from signaling_server.logfilter import configure_logging
from signaling_server.tokens import InviteSigner
from ultrasound_consult import __version__
from ultrasound_consult.protocol.invite import join_link
from ultrasound_consult.protocol.signaling import Role


def program_name() -> str:
    """How the user started us, for help and --version: the wheel's console script or
    ``python -m signaling_server``."""
    if sys.argv and Path(sys.argv[0]).name == "ultrasound-consult-server":
        return "ultrasound-consult-server"
    return "python -m signaling_server"


def serve_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=program_name(),
        description="Signalling server for ultrasound-consult: introduces the peers of a call. "
        "'python -m signaling_server invite --help' mints invites.",
    )
    p.add_argument(
        "--config", type=Path, help="TOML file with any of the settings below (flags win)"
    )
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on; 0 picks a free one (default 8765)")
    p.add_argument(
        "--secret-file", type=Path, help=f"server secret (default {default_secret_file()})"
    )
    p.add_argument("--tls-cert", type=Path, help="PEM certificate chain: serve wss://")
    p.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    p.add_argument("--redis", help="redis://host:port/db: several server processes act as one")
    p.add_argument("--stun", action="append", help="STUN URL handed to clients (repeatable)")
    p.add_argument(
        "--turn", action="append", help="TURN URL handed to clients with credentials (repeatable)"
    )
    p.add_argument("--turn-secret-file", type=Path, help="coturn's static-auth-secret")
    p.add_argument(
        "--turn-ttl",
        type=parse_ttl,
        dest="turn_ttl_s",
        help="TURN credential lifetime (default 24h)",
    )
    p.add_argument("--max-rooms", type=int)
    p.add_argument("--max-peers-per-room", type=int)
    p.add_argument("--max-experts", type=int, help="experts and trainers per room (default 4)")
    p.add_argument("--max-observers", type=int, help="observers per room (default 16)")
    p.add_argument(
        "--max-trainees",
        type=int,
        help="observers per room when --sfu carries lectures (default 120)",
    )
    p.add_argument(
        "--max-connections",
        type=int,
        help="open connections per process (default 20000, less if the open-file limit "
        "is lower: headroom is kept)",
    )
    p.add_argument(
        "--max-connections-per-address",
        type=int,
        help="open connections one client address may hold (default 200; 0: no limit)",
    )
    p.add_argument(
        "--max-handshakes-per-address",
        type=int,
        help="connections one address may have still opening (default 50; 0: no limit)",
    )
    p.add_argument(
        "--metrics",
        choices=["loopback", "open", "token"],
        help="who may read /metrics: this host only (default), anyone, or with a token",
    )
    p.add_argument(
        "--metrics-token-file",
        type=Path,
        help="with --metrics token: a file holding the token (Authorization: Bearer TOKEN)",
    )
    p.add_argument(
        "--database",
        help="consult database: a SQLite file (default consult.db beside the secret file) "
        "or postgresql://user@host/db (several processes behind --redis)",
    )
    p.add_argument(
        "--ring-timeout",
        type=parse_ttl,
        dest="ring_timeout_s",
        help="how long experts' apps ring before a call counts as unanswered (default 45s)",
    )
    p.add_argument(
        "--admin-port",
        type=int,
        help="serve the admin page (devices, consult log, enroll, revoke) on this port",
    )
    p.add_argument(
        "--admin-host", help="address of the admin page (default 127.0.0.1: this host only)"
    )
    p.add_argument(
        "--admin-password-file",
        type=Path,
        help="a file (owner-only) holding the admin page's password, 12 characters or more",
    )
    p.add_argument("--sfu", help="a Janus SFU for lectures: janus:ws://HOST:PORT")
    p.add_argument("--sfu-secret-file", type=Path, help="the secret set in Janus's config")
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return p


def invite_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{program_name()} invite",
        description="Mint an invite: a code that lets one role into one room until it expires.",
    )
    p.add_argument("--room", required=True, help="room code, e.g. clinic-12")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument(
        "--ttl", type=parse_ttl, default=parse_ttl("2h"), help="how long it is valid (default 2h)"
    )
    p.add_argument(
        "--secret-file",
        type=Path,
        default=None,
        help=f"the server's secret (default {default_secret_file()})",
    )
    p.add_argument("--server", help="the server's public URL, to print a join link")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def settings_from(args: argparse.Namespace) -> ServerSettings:
    values = ServerSettings.from_toml(args.config) if args.config else {}
    for f in fields(ServerSettings):
        value = getattr(args, f.name, None)
        if value is not None:
            values[f.name] = value
    return ServerSettings(**values)


def fit_to_fd_limit(settings: ServerSettings) -> None:
    """Raise the open-file limit, and keep ``max_connections`` with headroom below it:
    at the limit itself ``accept`` fails (EMFILE) and no 503 can be sent."""
    fd_limit = raise_fd_limit()
    budget = connection_budget(fd_limit)
    if settings.max_connections > budget:
        logging.getLogger("signaling_server").warning(
            "the open-file limit (%d) leaves room for %d connections, not %d: using %d. "
            "For %d, raise it to %d (systemd: LimitNOFILE=%d; shell: ulimit -n %d)",
            fd_limit,
            budget,
            settings.max_connections,
            budget,
            settings.max_connections,
            fds_needed(settings.max_connections),
            fds_needed(settings.max_connections),
            fds_needed(settings.max_connections),
        )
        settings.max_connections = budget


def _not_listening_notice(record: logging.LogRecord) -> bool:
    # websockets logs "server listening on ..." while starting, before our URL line; we
    # log the same once the URL is out.
    return not record.getMessage().startswith("server listening on")


async def run(settings: ServerSettings, secret: bytes, notices: io.StringIO | None = None) -> None:
    from signaling_server.server import BackplaneUnavailable, SignalingServer
    from signaling_server.sfu import SfuUnavailable
    from signaling_server.store import StoreError

    logging.getLogger("websockets.server").addFilter(_not_listening_notice)
    # Handlers first: whoever reads the URL may send SIGTERM at once, and it must stop
    # the server cleanly, not kill it.
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    server = SignalingServer(settings, secret)
    try:
        await server.start()
    except BackplaneUnavailable as exc:
        print(f"error: {exc}. Check that Redis is running and the --redis URL.", file=sys.stderr)
        raise SystemExit(2) from None
    except StoreError as exc:
        print(f"error: {exc}. Check --database.", file=sys.stderr)
    except SfuUnavailable as exc:
        print(f"error: {exc}. Check that Janus runs and --sfu-secret-file.", file=sys.stderr)
        raise SystemExit(2) from None
    except OSError as exc:
        print(
            f"error: cannot listen on {settings.host}:{settings.port}: {exc.strerror or exc}. "
            "Pick another --port, or stop the program already using it.",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    print(server.url, flush=True)
    # First the URL (the README's "first line"), then what was said before it; from
    # now on the log goes to stderr directly.
    if notices is not None:
        print(notices.getvalue(), end="", file=sys.stderr, flush=True)
        configure_logging(settings.log_level, sys.stderr)
    log = logging.getLogger("signaling_server")
    log.info(
        "listening on %s%s",
        server.url,
        f" with Redis at {settings.redis}" if settings.redis else "",
    )
    await stop.wait()
    await server.close()


def serve(argv: list[str]) -> int:
    args = serve_parser().parse_args(argv)
    notices = io.StringIO()
    try:
        settings = settings_from(args)
        settings.check()
        # Until the URL is out (the README's first line), what the server has to say
        # waits in ``notices``: a new secret, an open-file limit too low.
        configure_logging(settings.log_level, notices)
        with contextlib.redirect_stderr(notices):
            secret = read_secret(settings.secret_file, create=True)
        settings.turn_config()
        settings.sfu_config()
        settings.metrics_token()
        if settings.admin_password_file is not None:
            try:
                read_admin_password(settings.admin_password_file)
            except AdminConfigError as exc:
                raise ConfigError(str(exc)) from None
        fit_to_fd_limit(settings)
    except ConfigError as exc:
        print(notices.getvalue() + f"error: {exc}", file=sys.stderr)
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(settings, secret, notices))
    return 0


def invite(argv: list[str]) -> int:
    args = invite_parser().parse_args(argv)
    from ultrasound_consult.protocol.errors import ProtocolError
    from ultrasound_consult.protocol.fields import req_id

    try:
        req_id({"room": args.room}, "room")
        secret = read_secret(args.secret_file or default_secret_file(), create=False)
    except ProtocolError:
        print("error: a room code is 1-64 letters, digits, '_', '-', '.' or ':'", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    role = Role(args.role)
    code = InviteSigner(secret).mint(args.room, role, ttl_s=args.ttl, now=time.time())
    until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(code.expires_at))
    link = join_link(args.server, code.code()) if args.server else None
    if args.json:
        print(
            json.dumps(
                {
                    "code": code.code(),
                    "room": args.room,
                    "role": role.value,
                    "expires_at": code.expires_at,
                    "link": link,
                }
            )
        )
        return 0
    print(f"Invite for room {args.room}, role {role.value}, valid until {until}:\n")
    print(f"  code:  {code.code()}")
    if link:
        print(f"  link:  {link}")
    print(
        "\nRead the code over the phone or send it; "
        "whoever has it can join as that role until it expires."
    )
    return 0


def check_config_command(argv: list[str]) -> int:
    from signaling_server.check_config import check_config

    parser = serve_parser()
    parser.prog = f"{program_name()} check-config"
    parser.description = "Check a configuration (the same flags and TOML file as serve)."
    args = parser.parse_args(argv)
    try:
        lines = check_config(settings_from(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    print("configuration OK")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["invite"]:
        return invite(argv[1:])
    if argv[:1] == ["check-config"]:
        return check_config_command(argv[1:])
    from signaling_server.admin_cli import COMMANDS

    if argv[:1] and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:])
    if argv[:1] == ["serve"]:
        argv = argv[1:]
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
