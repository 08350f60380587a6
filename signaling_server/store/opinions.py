"""Opinions the server holds for a station: stored when an expert submits one after (or
outside) the call, handed to the station when it is online, marked delivered when the
station says it has kept it. Every version is a row; none is ever changed. And each
expert device's signing key, registered at its first sign-in."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from signaling_server.store.schema import calls, devices, opinions


@dataclass(frozen=True)
class OpinionRow:
    id: str
    version: int
    call_id: str
    expert_id: str
    station_id: str
    body: dict[str, Any]
    created_at: float
    delivered_at: float | None

    @classmethod
    def from_row(cls, row: Any) -> OpinionRow:
        return cls(
            row.id, row.version, row.call_id, row.expert_id, row.station_id,
            json.loads(row.body), row.created_at, row.delivered_at,
        )  # fmt: skip


class OpinionShelf:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    def register_key(self, device_id: str, key: str) -> bool:
        """Register a device's signing key if it has none; whether ``key`` is now its
        key (False: another one was registered first, and stays)."""
        with self.engine.begin() as conn:
            conn.execute(
                devices.update()
                .where(devices.c.id == device_id, devices.c.signing_key.is_(None))
                .values(signing_key=key)
            )
            registered = conn.execute(
                sa.select(devices.c.signing_key).where(devices.c.id == device_id)
            ).scalar()
        return bool(registered == key)

    def add(self, row: OpinionRow) -> str:
        """Keep one version: ``"added"``, ``"same"`` (that very version is here
        already) or ``"conflict"`` (another text under the same version, or a version
        whose predecessor is not here)."""
        with self.engine.begin() as conn:
            here = conn.execute(
                opinions.select().where(opinions.c.id == row.id, opinions.c.version == row.version)
            ).first()
            if here is not None:
                return "same" if json.loads(here.body) == row.body else "conflict"
            if row.version > 1:
                before = conn.execute(
                    opinions.select().where(
                        opinions.c.id == row.id, opinions.c.version == row.version - 1
                    )
                ).first()
                if before is None or before.expert_id != row.expert_id:
                    return "conflict"
            conn.execute(
                opinions.insert().values(
                    id=row.id,
                    version=row.version,
                    call_id=row.call_id,
                    expert_id=row.expert_id,
                    station_id=row.station_id,
                    body=json.dumps(row.body, ensure_ascii=False, sort_keys=True),
                    created_at=row.created_at,
                    delivered_at=None,
                )
            )
        return "added"

    def undelivered(self, station_id: str) -> list[OpinionRow]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                opinions.select()
                .where(opinions.c.station_id == station_id, opinions.c.delivered_at.is_(None))
                .order_by(opinions.c.created_at)
            )
            return [OpinionRow.from_row(r) for r in rows]

    def delivered(self, opinion_id: str, version: int, station_id: str, now: float) -> bool:
        with self.engine.begin() as conn:
            result = conn.execute(
                opinions.update()
                .where(
                    opinions.c.id == opinion_id,
                    opinions.c.version == version,
                    opinions.c.station_id == station_id,
                )
                .values(delivered_at=now)
            )
        return result.rowcount == 1

    def note_in_log(self, call_id: str) -> None:
        """The consult log says an opinion was given (once the call has ended)."""
        with self.engine.begin() as conn:
            conn.execute(
                calls.update()
                .where(calls.c.id == call_id, calls.c.state == "ended")
                .values(outcome="opinion given")
            )

    def count_for_call(self, call_id: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    sa.select(sa.func.count())
                    .select_from(opinions)
                    .where(opinions.c.call_id == call_id)
                ).scalar_one()
            )
