"""The consult log as people read it, and its monthly statistics.

One row per call: type (consult, teaching, qc), site, station, experts, trainees,
start, duration, outcome and whether it was recorded; names come from the device
table. Never patient identity: the database holds none. Statistics count sessions
(answered calls) per month, per site and per expert; "sonographers active" counts the
distinct stations and trainees that took part (an enrolled station is a sonographer's
workplace; the app does not name the person at it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from signaling_server.store import ConsultStore

_SINCE_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def parse_since(text: str) -> float:
    """``2026-01`` or ``2026-01-15`` (UTC) -> Unix time; ValueError with the reason."""
    m = _SINCE_RE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r}: use YYYY-MM or YYYY-MM-DD")
    try:
        moment = datetime(int(m[1]), int(m[2]), int(m[3] or 1), tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    return moment.timestamp()


def session_rows(
    store: ConsultStore, since: float, until: float | None = None
) -> list[dict[str, Any]]:
    names = {d.id: d for d in store.devices()}

    def name(device_id: str | None) -> str:
        d = names.get(device_id or "")
        return d.name if d else ""

    rows = []
    for call in store.calls_since(since, until):
        duration = (
            round(call.ended_at - call.accepted_at)
            if call.accepted_at is not None and call.ended_at is not None
            else 0
        )
        outcome = call.outcome or ("in progress" if call.state == "accepted" else call.state)
        rows.append(
            {
                "id": call.id,
                "kind": call.kind,
                "month": datetime.fromtimestamp(call.requested_at, UTC).strftime("%Y-%m"),
                "site": call.site,
                "station": name(call.station_id),
                "station_id": call.station_id or "",
                "experts": ";".join(name(e) for e in call.experts),
                "expert_ids": ";".join(call.experts),
                "trainees": ";".join(name(t) for t in call.trainees),
                "trainee_ids": ";".join(call.trainees),
                "requested_at": call.requested_at,
                "started": datetime.fromtimestamp(call.accepted_at, UTC).isoformat()
                if call.accepted_at
                else "",
                "duration_s": duration,
                "outcome": outcome,
                "answered": call.accepted_at is not None,
                "recorded": call.recorded,
            }
        )
    return rows


def monthly_statistics(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Per month and site, and per month and expert: sessions by kind, unanswered calls,
    sonographers active."""
    by_site: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"consults": 0, "teaching": 0, "qc": 0, "unanswered": 0, "_people": set()}
    )
    by_expert: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"consults": 0, "teaching": 0, "qc": 0, "minutes": 0}
    )
    for r in rows:
        site = by_site[(r["month"], r["site"])]
        if not r["answered"]:
            site["unanswered"] += 1
            continue
        column = {"consult": "consults", "teaching": "teaching", "qc": "qc"}[r["kind"]]
        site[column] += 1
        people = [r["station_id"], *filter(None, r["trainee_ids"].split(";"))]
        site["_people"].update(p for p in people if p)
        for expert_id, expert in zip(
            r["expert_ids"].split(";"), r["experts"].split(";"), strict=True
        ):
            if expert_id:
                e = by_expert[(r["month"], expert)]
                e[column] += 1
                e["minutes"] += round(r["duration_s"] / 60)
    sites = [
        {
            "month": month,
            "site": site,
            **{k: v for k, v in s.items() if not k.startswith("_")},
            "sonographers_active": len(s["_people"]),
        }
        for (month, site), s in sorted(by_site.items())
    ]
    experts = [
        {"month": month, "expert": expert, **e} for (month, expert), e in sorted(by_expert.items())
    ]
    return {"per site": sites, "per expert": experts}
