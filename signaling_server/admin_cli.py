"""``python -m signaling_server enroll | revoke | list | log | stats``: the IT person's
commands for the consult service, working on the server's database directly.

They find the database as the server does: ``--database``, else ``consult.db`` beside
the secret file. A revoked device is disconnected by the running server within a
second (it polls the database). Codes are printed once and stored only as hashes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from signaling_server.config import default_secret_file
from signaling_server.consult_log import monthly_statistics, parse_since, session_rows
from signaling_server.durations import parse_ttl
from signaling_server.enrollment import (
    DEFAULT_CODE_TTL_S,
    DeviceKind,
    enroll_link,
    parse_specialties,
    write_qr_png,
)
from signaling_server.store import ConsultStore, StoreError


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", help="as the server's --database (default: beside the secret)")
    p.add_argument(
        "--secret-file", type=Path, help=f"the server's secret (default {default_secret_file()})"
    )


def open_store(args: argparse.Namespace) -> ConsultStore:
    secret_file = args.secret_file or default_secret_file()
    store = ConsultStore(args.database or str(Path(secret_file).parent / "consult.db"))
    store.migrate()
    return store


_ttl = parse_ttl


def enroll(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m signaling_server enroll",
        description="Enroll a device: prints a one-time code (and writes a QR code PNG) that "
        "the app redeems once for its long-lived credential.",
    )
    p.add_argument("--kind", required=True, choices=[k.value for k in DeviceKind])
    p.add_argument("--name", required=True, help='shown in the directory, e.g. "Dr. Wang"')
    p.add_argument("--site", default="", help="the clinic or hospital, e.g. puzi")
    p.add_argument("--specialty", default="", help="experts and trainers: e.g. msk,cardiac")
    p.add_argument("--ttl", type=_ttl, default=DEFAULT_CODE_TTL_S, help="code valid for (24h)")
    p.add_argument("--server", help="the server's public URL, put in the QR code")
    p.add_argument("--qr", type=Path, help="QR code PNG to write (default enroll-ID.png)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    _common(p)
    args = p.parse_args(argv)
    name = args.name.strip()
    if not 0 < len(name) <= 64 or not name.isprintable():
        print("error: --name is 1-64 printable characters", file=sys.stderr)
        return 2
    if not re.fullmatch(r"[\w .-]{0,64}", args.site):
        print("error: --site is up to 64 letters, digits, spaces, '.', '-'", file=sys.stderr)
        return 2
    try:
        specialties = parse_specialties(args.specialty)
    except ValueError as exc:
        print(f"error: --specialty: {exc}", file=sys.stderr)
        return 2
    kind = DeviceKind(args.kind)
    if kind in (DeviceKind.EXPERT, DeviceKind.TRAINER) and not specialties:
        print("error: experts and trainers need --specialty (e.g. msk,cardiac)", file=sys.stderr)
        return 2
    try:
        store = open_store(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        enrollment = store.enroll(
            kind, name, site=args.site, specialties=specialties, ttl_s=args.ttl
        )
    finally:
        store.close()
    qr = args.qr or Path(f"enroll-{enrollment.device.id}.png")
    link = enroll_link(args.server, enrollment.code) if args.server else enrollment.code
    write_qr_png(link, qr)
    qr.chmod(0o600)
    until = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(enrollment.expires_at))
    if args.json:
        print(
            json.dumps(
                {
                    "device_id": enrollment.device.id,
                    "kind": kind.value,
                    "name": name,
                    "code": enrollment.code,
                    "expires_at": enrollment.expires_at,
                    "qr": str(qr),
                }
            )
        )
        return 0
    print(f"Enrollment for {kind.value} {name!r} (device {enrollment.device.id}):\n")
    print(f"  code:   {enrollment.code}   (once, until {until})")
    print(f"  QR:     {qr}")
    print(
        "\nOn that computer: ultrasound-consult enroll CODE --server URL, or 'Enroll this "
        "device' on the first screen. The code works once."
    )
    return 0


def revoke(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m signaling_server revoke",
        description="Revoke a device: its credential stops working at once, and a running "
        "server disconnects it within a second.",
    )
    p.add_argument("device_id")
    _common(p)
    args = p.parse_args(argv)
    try:
        store = open_store(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        device = store.device(args.device_id)
        if device is None:
            print(f"error: no device {args.device_id!r} (see 'list')", file=sys.stderr)
            return 2
        if not store.revoke(device.id):
            print(f"{device.name!r} ({device.id}) was revoked already")
            return 0
    finally:
        store.close()
    print(f"revoked {device.kind.value} {device.name!r} ({device.id})")
    return 0


def list_devices(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m signaling_server list", description="The enrolled devices."
    )
    p.add_argument("--json", action="store_true")
    _common(p)
    args = p.parse_args(argv)
    try:
        store = open_store(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        devices = store.devices()
    finally:
        store.close()
    rows = []
    for d in devices:
        state = "revoked" if d.revoked_at else ("enrolled" if d.enrolled_at else "code issued")
        rows.append(
            {
                "id": d.id,
                "kind": d.kind.value,
                "name": d.name,
                "site": d.site,
                "specialties": list(d.specialties),
                "state": state,
            }
        )
    if args.json:
        print(json.dumps(rows))
        return 0
    for r in rows:
        specs = ",".join(r["specialties"])
        print(f"{r['id']}  {r['kind']:8} {r['state']:12} {r['name']!s:30} {r['site']:14} {specs}")
    if not rows:
        print("no devices enrolled yet: python -m signaling_server enroll --help")
    return 0


def log(argv: list[str]) -> int:
    p = argparse.ArgumentParser(
        prog="python -m signaling_server log",
        description="The consult log: every call and session, never patient identity.",
    )
    p.add_argument("--since", default="1970-01", help="YYYY-MM or YYYY-MM-DD (UTC)")
    p.add_argument("--until", help="YYYY-MM or YYYY-MM-DD (UTC), exclusive")
    p.add_argument("--csv", action="store_true", help="CSV instead of a table")
    p.add_argument("--stats", action="store_true", help="monthly statistics instead of the log")
    p.add_argument("--json", action="store_true", help="JSON instead of a table")
    _common(p)
    args = p.parse_args(argv)
    try:
        since = parse_since(args.since)
        until = parse_since(args.until) if args.until else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        store = open_store(args)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        rows = session_rows(store, since, until)
    finally:
        store.close()
    if args.stats:
        return _print_stats(monthly_statistics(rows), as_csv=args.csv, as_json=args.json)
    if args.json:
        print(json.dumps(rows))
        return 0
    out = io.StringIO()
    columns = list(rows[0]) if rows else ["id"]
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    if args.csv:
        sys.stdout.write(out.getvalue())
    else:
        for r in rows:
            start = datetime.fromtimestamp(r["requested_at"], UTC).strftime("%Y-%m-%d %H:%M")
            print(
                f"{start}  {r['kind']:8} {r['site']:12} {r['station']:24} "
                f"{r['experts']:24} {r['duration_s']:>6}s  {r['outcome']}"
            )
    return 0


def _print_stats(stats: dict[str, list[dict[str, object]]], *, as_csv: bool, as_json: bool) -> int:
    if as_json:
        print(json.dumps(stats))
        return 0
    for title, rows in stats.items():
        if as_csv:
            print(f"# {title}")
        else:
            print(f"\n{title}:")
        if not rows:
            continue
        writer = csv.DictWriter(sys.stdout, list(rows[0]), lineterminator="\n")
        if as_csv:
            writer.writeheader()
            writer.writerows(rows)
        else:
            for r in rows:
                print("  " + "  ".join(f"{k}={v}" for k, v in r.items()))
    return 0


COMMANDS = {"enroll": enroll, "revoke": revoke, "list": list_devices, "log": log}
