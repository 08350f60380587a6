"""The consult service's database: enrolled devices, calls (the consult log), requests.

SQLAlchemy Core 2.x for access and Alembic for versioned migrations (run at every
start, ``upgrade head``): both are long-kept, speak SQLite and PostgreSQL alike, and
Alembic is what a DBA already knows. Core, not the ORM: the queries are few and a
plain row is all the server needs.

The server is asyncio and these calls block, so :meth:`ConsultStore.run` runs them on
a small thread pool (one thread for SQLite, whose writers queue anyway). First-accept-
wins and other races are settled by conditional updates (``UPDATE ... WHERE state =
'ringing'``), which hold across server processes sharing one PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from signaling_server.enrollment import DeviceKind, digest, new_code, new_credential
from signaling_server.store.schema import admin_audit, calls, devices, requests

T = TypeVar("T")
MIGRATIONS = Path(__file__).with_name("migrations")


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the text says which and why."""


def sqlalchemy_url(database: str) -> str:
    """``postgresql://`` means psycopg 3 (the ``postgresql`` extra); a path means SQLite."""
    if database.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + database.split("://", 1)[1]
    if "://" in database:
        return database
    return f"sqlite:///{database}"


def redact(database: str) -> str:
    """The URL without its password, for messages and logs."""
    return sa.engine.make_url(sqlalchemy_url(database)).render_as_string(hide_password=True)


@dataclass(frozen=True)
class Device:
    id: str
    kind: DeviceKind
    name: str
    site: str
    specialties: tuple[str, ...]
    duty: str = "off"
    duty_hours: tuple[dict[str, Any], ...] = ()
    enrolled_at: float | None = None
    revoked_at: float | None = None
    created_at: float = 0.0
    signing_key: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> Device:
        return cls(
            id=row.id,
            kind=DeviceKind(row.kind),
            name=row.name,
            site=row.site,
            specialties=tuple(json.loads(row.specialties)),
            duty=row.duty,
            duty_hours=tuple(json.loads(row.duty_hours)),
            enrolled_at=row.enrolled_at,
            revoked_at=row.revoked_at,
            created_at=row.created_at,
            signing_key=row.signing_key,
        )


@dataclass(frozen=True)
class Enrollment:
    device: Device
    code: str
    expires_at: float


@dataclass
class CallRow:
    id: str
    kind: str
    caller_id: str
    station_id: str | None
    site: str
    target: str
    state: str
    outcome: str | None
    expert_id: str | None
    experts: list[str] = field(default_factory=list)
    trainees: list[str] = field(default_factory=list)
    rung: list[str] = field(default_factory=list)
    declines: int = 0
    room: str | None = None
    request_id: str | None = None
    recorded: bool = False
    requested_at: float = 0.0
    accepted_at: float | None = None
    ended_at: float | None = None

    @classmethod
    def from_row(cls, row: Any) -> CallRow:
        values = dict(row._mapping)
        for key in ("experts", "trainees", "rung"):
            values[key] = json.loads(values[key])
        values["recorded"] = bool(values["recorded"])
        return cls(**values)


@dataclass(frozen=True)
class RequestRow:
    id: str
    station_id: str
    site: str
    exam: str
    specialty: str
    question: str
    urgency: str
    preferred_time: str
    reference: str
    status: str
    created_at: float
    taken_by: str | None
    taken_at: float | None
    call_id: str | None

    @classmethod
    def from_row(cls, row: Any) -> RequestRow:
        return cls(**dict(row._mapping))


def new_id() -> str:
    return secrets.token_hex(6)


class ConsultStore:
    def __init__(self, database: str) -> None:
        self.database = database
        url = sqlalchemy_url(database)
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self._prepare_sqlite_file(url)
            self.engine: Engine = sa.create_engine(
                url, connect_args={"check_same_thread": False, "timeout": 30}
            )
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = sa.create_engine(url, pool_size=8, pool_pre_ping=True)
        self._pool = ThreadPoolExecutor(
            max_workers=1 if self.is_sqlite else 4, thread_name_prefix="consult-db"
        )

    @staticmethod
    def _prepare_sqlite_file(url: str) -> None:
        path = sa.engine.make_url(url).database
        if not path or path == ":memory:":
            return
        file = Path(path)
        # Owner-only: the folder (so SQLite's -wal/-shm files are private too) and the file.
        file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not file.exists():
            os.close(os.open(file, os.O_WRONLY | os.O_CREAT, 0o600))
        elif sys.platform != "win32" and file.stat().st_mode & 0o077:
            os.chmod(file, 0o600)

    def migrate(self) -> None:
        """Bring the schema to the newest version (Alembic ``upgrade head``)."""
        from alembic import command
        from alembic.config import Config

        # Alembic says at INFO what it sets up; only its problems matter here.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except sa.exc.SQLAlchemyError as exc:
            cause = getattr(exc, "orig", None) or exc  # the driver's own words, if any
            raise StoreError(
                f"cannot open or migrate the database {redact(self.database)}: {cause}"
            ) from None

    def schema_version(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            except sa.exc.SQLAlchemyError:
                return None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store method off the event loop."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self.engine.dispose()

    # --- devices -------------------------------------------------------------

    def enroll(
        self,
        kind: DeviceKind,
        name: str,
        *,
        site: str = "",
        specialties: list[str] | None = None,
        ttl_s: float,
        now: float | None = None,
    ) -> Enrollment:
        now = time.time() if now is None else now
        code = new_code()
        device_id = new_id()
        with self.engine.begin() as conn:
            conn.execute(
                devices.insert().values(
                    id=device_id,
                    kind=kind.value,
                    name=name,
                    site=site,
                    specialties=json.dumps(specialties or []),
                    code_hash=digest(code.replace("-", "")),
                    code_expires_at=now + ttl_s,
                    created_at=now,
                )
            )
        return Enrollment(self.device(device_id), code, now + ttl_s)  # type: ignore[arg-type]

    def redeem(self, code: str, now: float | None = None) -> tuple[Device, str] | None:
        """Exchange a valid code (normalised, no dashes) for a new credential, once."""
        now = time.time() if now is None else now
        credential = new_credential()
        with self.engine.begin() as conn:
            # One statement: of two redemptions at once, only one matches the code.
            row = conn.execute(
                devices.update()
                .where(
                    devices.c.code_hash == digest(code),
                    devices.c.code_expires_at > now,
                    devices.c.revoked_at.is_(None),
                )
                .values(
                    code_hash=None,
                    code_expires_at=None,
                    credential_hash=digest(credential),
                    enrolled_at=now,
                )
                .returning(*devices.c)
            ).first()
        return (Device.from_row(row), credential) if row is not None else None

    def authenticate(self, credential: str) -> Device | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                devices.select().where(
                    devices.c.credential_hash == digest(credential),
                    devices.c.revoked_at.is_(None),
                )
            ).first()
        return Device.from_row(row) if row is not None else None

    def device(self, device_id: str) -> Device | None:
        with self.engine.connect() as conn:
            row = conn.execute(devices.select().where(devices.c.id == device_id)).first()
        return Device.from_row(row) if row is not None else None

    def devices(self, *, include_revoked: bool = True) -> list[Device]:
        query = devices.select().order_by(devices.c.kind, devices.c.name)
        if not include_revoked:
            query = query.where(devices.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [Device.from_row(r) for r in conn.execute(query)]

    def revoke(self, device_id: str, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self.engine.begin() as conn:
            result = conn.execute(
                devices.update()
                .where(devices.c.id == device_id, devices.c.revoked_at.is_(None))
                .values(revoked_at=now, credential_hash=None, code_hash=None)
            )
        return result.rowcount == 1

    def revoked_since(self, since: float) -> list[str]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(sa.select(devices.c.id).where(devices.c.revoked_at >= since)).scalars()
            )

    def set_duty(self, device_id: str, duty: str, hours: list[dict[str, Any]] | None) -> None:
        values: dict[str, Any] = {"duty": duty}
        if hours is not None:
            values["duty_hours"] = json.dumps(hours)
        with self.engine.begin() as conn:
            conn.execute(devices.update().where(devices.c.id == device_id).values(**values))

    # --- calls -----------------------------------------------------------------

    def start_call(self, call: CallRow) -> None:
        values = {**call.__dict__}
        for key in ("experts", "trainees", "rung"):
            values[key] = json.dumps(values[key])
        with self.engine.begin() as conn:
            conn.execute(calls.insert().values(**values))

    def call(self, call_id: str) -> CallRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(calls.select().where(calls.c.id == call_id)).first()
        return CallRow.from_row(row) if row is not None else None

    def accept_call(
        self, call_id: str, answered_by: str, room: str, now: float, *, experts: list[str]
    ) -> CallRow | None:
        """The call, if this accept is the first; None if it was taken, ended or failed.
        ``expert_id`` is who answered; ``experts`` the experts and trainers in the call."""
        with self.engine.begin() as conn:
            row = conn.execute(
                calls.update()
                .where(calls.c.id == call_id, calls.c.state == "ringing")
                .values(
                    state="accepted",
                    expert_id=answered_by,
                    experts=json.dumps(experts),
                    room=room,
                    accepted_at=now,
                )
                .returning(*calls.c)
            ).first()
        return CallRow.from_row(row) if row is not None else None

    def decline_call(self, call_id: str) -> CallRow | None:
        """Count a decline; the call as it is now, if it is still ringing."""
        with self.engine.begin() as conn:
            row = conn.execute(
                calls.update()
                .where(calls.c.id == call_id, calls.c.state == "ringing")
                .values(declines=calls.c.declines + 1)
                .returning(*calls.c)
            ).first()
        return CallRow.from_row(row) if row is not None else None

    def fail_call(self, call_id: str, outcome: str, now: float) -> CallRow | None:
        """End a ringing call without an answer; None if an accept came first."""
        with self.engine.begin() as conn:
            row = conn.execute(
                calls.update()
                .where(calls.c.id == call_id, calls.c.state == "ringing")
                .values(state="failed", outcome=outcome, ended_at=now)
                .returning(*calls.c)
            ).first()
        return CallRow.from_row(row) if row is not None else None

    def interrupt_calls_of(self, device_id: str, now: float) -> list[str]:
        """Calls this device started that were still ringing when its server went away."""
        with self.engine.begin() as conn:
            return list(
                conn.execute(
                    calls.update()
                    .where(calls.c.caller_id == device_id, calls.c.state == "ringing")
                    .values(state="failed", outcome="interrupted", ended_at=now)
                    .returning(calls.c.id)
                ).scalars()
            )

    def end_call(self, call_id: str, now: float, *, recorded: bool, outcome: str) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                calls.update()
                .where(calls.c.id == call_id, calls.c.state == "accepted")
                .values(state="ended", outcome=outcome, ended_at=now, recorded=recorded)
            )
        return result.rowcount == 1

    def add_participant(self, call_id: str, device_id: str, *, trainee: bool) -> CallRow | None:
        with self.engine.begin() as conn:
            row = conn.execute(
                calls.select().where(calls.c.id == call_id).with_for_update()
            ).first()
            if row is None or row.state != "accepted":
                return None
            column = "trainees" if trainee else "experts"
            people = json.loads(getattr(row, column))
            if device_id not in people:
                people.append(device_id)
            values: dict[str, Any] = {column: json.dumps(people)}
            if trainee and row.kind == "consult":
                values["kind"] = "teaching"  # trainees admitted: it is a teaching session
            row = conn.execute(
                calls.update().where(calls.c.id == call_id).values(**values).returning(*calls.c)
            ).first()
        return CallRow.from_row(row)

    def calls_since(self, since: float, until: float | None = None) -> list[CallRow]:
        query = calls.select().where(calls.c.requested_at >= since)
        if until is not None:
            query = query.where(calls.c.requested_at < until)
        with self.engine.connect() as conn:
            return [CallRow.from_row(r) for r in conn.execute(query.order_by(calls.c.requested_at))]

    # --- requests ----------------------------------------------------------------

    def add_request(self, request: RequestRow) -> None:
        with self.engine.begin() as conn:
            conn.execute(requests.insert().values(**request.__dict__))

    def request(self, request_id: str) -> RequestRow | None:
        with self.engine.connect() as conn:
            row = conn.execute(requests.select().where(requests.c.id == request_id)).first()
        return RequestRow.from_row(row) if row is not None else None

    def open_requests(self) -> list[RequestRow]:
        query = (
            requests.select()
            .where(requests.c.status.in_(("open", "taken")))
            .order_by(requests.c.created_at)
        )
        with self.engine.connect() as conn:
            return [RequestRow.from_row(r) for r in conn.execute(query)]

    def requests_of(self, station_id: str) -> list[RequestRow]:
        query = (
            requests.select()
            .where(requests.c.station_id == station_id)
            .order_by(requests.c.created_at)
        )
        with self.engine.connect() as conn:
            return [RequestRow.from_row(r) for r in conn.execute(query)]

    def take_request(self, request_id: str, expert_id: str, now: float) -> RequestRow | None:
        """Take an open request; None if someone else took it first (or it is gone)."""
        with self.engine.begin() as conn:
            row = conn.execute(
                requests.update()
                .where(requests.c.id == request_id, requests.c.status == "open")
                .values(status="taken", taken_by=expert_id, taken_at=now)
                .returning(*requests.c)
            ).first()
        return RequestRow.from_row(row) if row is not None else None

    def set_request_status(
        self, request_id: str, status: str, call_id: str | None = None
    ) -> RequestRow | None:
        values: dict[str, Any] = {"status": status}
        if call_id is not None:
            values["call_id"] = call_id
        with self.engine.begin() as conn:
            row = conn.execute(
                requests.update()
                .where(requests.c.id == request_id)
                .values(**values)
                .returning(*requests.c)
            ).first()
        return RequestRow.from_row(row) if row is not None else None

    # --- the admin page's audit log ---------------------------------------------------

    def audit(self, address: str, action: str, detail: str = "", now: float | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                admin_audit.insert().values(
                    at=time.time() if now is None else now,
                    address=address[:64],
                    action=action[:32],
                    detail=detail[:256],
                )
            )

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        query = admin_audit.select().order_by(admin_audit.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    # WAL: readers do not wait for the writer; several CLI commands may read at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
