"""The consult service's tables, as SQLAlchemy Core metadata (the migrations create them).

Times are Unix seconds (float) in UTC: the same in SQLite and PostgreSQL, and what the
rest of the server uses. Lists (specialties, experts, duty hours) are JSON text, read
whole. No table has a column for patient identity: a request's ``reference`` is the
clinic's own number, which only the clinic can resolve.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()

devices = Table(
    "devices",
    metadata,
    Column("id", String(16), primary_key=True),
    #: station | expert | trainer | trainee
    Column("kind", String(16), nullable=False),
    Column("name", String(64), nullable=False),
    Column("site", String(64), nullable=False, server_default=""),
    #: JSON list of specialty names, from enrollment.
    Column("specialties", Text, nullable=False, server_default="[]"),
    #: SHA-256 of the one-time code until it is redeemed, then NULL.
    Column("code_hash", String(64), unique=True, nullable=True),
    Column("code_expires_at", Float, nullable=True),
    #: SHA-256 of the long-lived credential, once redeemed.
    Column("credential_hash", String(64), unique=True, nullable=True),
    Column("created_at", Float, nullable=False),
    Column("enrolled_at", Float, nullable=True),
    Column("revoked_at", Float, nullable=True),
    #: off | on | busy | hours (on duty within ``duty_hours``)
    Column("duty", String(8), nullable=False, server_default="off"),
    #: JSON list of {"day": 0-6 (Monday 0), "start": "HH:MM", "end": "HH:MM"}, UTC.
    Column("duty_hours", Text, nullable=False, server_default="[]"),
    #: Base64 Ed25519 public key the device's opinions are signed with (registered at
    #: its first sign-in; an expert's or trainer's only).
    Column("signing_key", String(64), nullable=True),
)

#: One row per call attempt; an accepted call is a session of the consult log.
calls = Table(
    "calls",
    metadata,
    Column("id", String(16), primary_key=True),
    #: consult | teaching | qc
    Column("kind", String(16), nullable=False, server_default="consult"),
    Column("caller_id", String(16), nullable=False),
    Column("station_id", String(16), nullable=True),
    Column("site", String(64), nullable=False, server_default=""),
    #: What was called: "specialty:msk" or "device:<id>".
    Column("target", String(80), nullable=False),
    #: ringing | accepted | ended | failed
    Column("state", String(16), nullable=False),
    #: completed | declined | no_answer | busy | nobody | cancelled | interrupted
    Column("outcome", String(16), nullable=True),
    Column("expert_id", String(16), nullable=True),
    #: JSON lists of device ids: every expert who took part, every trainee admitted.
    Column("experts", Text, nullable=False, server_default="[]"),
    Column("trainees", Text, nullable=False, server_default="[]"),
    #: JSON list of the device ids rung, and how many declined.
    Column("rung", Text, nullable=False, server_default="[]"),
    Column("declines", Integer, nullable=False, server_default="0"),
    Column("room", String(64), nullable=True),
    Column("request_id", String(16), nullable=True),
    Column("recorded", Boolean, nullable=False, default=False),
    Column("requested_at", Float, nullable=False),
    Column("accepted_at", Float, nullable=True),
    Column("ended_at", Float, nullable=True),
)

#: Consult requests a station leaves for the on-duty experts.
requests = Table(
    "requests",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("station_id", String(16), nullable=False),
    Column("site", String(64), nullable=False, server_default=""),
    Column("exam", String(64), nullable=False),
    Column("specialty", String(32), nullable=False, server_default=""),
    Column("question", Text, nullable=False),
    #: routine | soon | urgent
    Column("urgency", String(8), nullable=False),
    Column("preferred_time", String(32), nullable=False, server_default=""),
    Column("reference", String(32), nullable=False, server_default=""),
    #: open | taken | called | done | cancelled
    Column("status", String(12), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("taken_by", String(16), nullable=True),
    Column("taken_at", Float, nullable=True),
    Column("call_id", String(16), nullable=True),
)

#: Every admin-page action (login, enroll, revoke...), never a password or a code.
admin_audit = Table(
    "admin_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False),
    Column("address", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", String(256), nullable=False, server_default=""),
)

#: An expert's signed opinion (one row per version), kept until its station has it. The
#: body is the opinion as the expert signed it: findings and impression, never a name.
opinions = Table(
    "opinions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("call_id", String(16), nullable=False),
    Column("expert_id", String(16), nullable=False),
    Column("station_id", String(16), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("delivered_at", Float, nullable=True),
)
