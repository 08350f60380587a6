"""The consult service: enrolled devices, calls (the consult log) and requests.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("site", sa.String(64), nullable=False, server_default=""),
        sa.Column("specialties", sa.Text, nullable=False, server_default="[]"),
        sa.Column("code_hash", sa.String(64), unique=True, nullable=True),
        sa.Column("code_expires_at", sa.Float, nullable=True),
        sa.Column("credential_hash", sa.String(64), unique=True, nullable=True),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("enrolled_at", sa.Float, nullable=True),
        sa.Column("revoked_at", sa.Float, nullable=True),
        sa.Column("duty", sa.String(8), nullable=False, server_default="off"),
        sa.Column("duty_hours", sa.Text, nullable=False, server_default="[]"),
    )
    op.create_table(
        "calls",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False, server_default="consult"),
        sa.Column("caller_id", sa.String(16), nullable=False),
        sa.Column("station_id", sa.String(16), nullable=True),
        sa.Column("site", sa.String(64), nullable=False, server_default=""),
        sa.Column("target", sa.String(80), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("expert_id", sa.String(16), nullable=True),
        sa.Column("experts", sa.Text, nullable=False, server_default="[]"),
        sa.Column("trainees", sa.Text, nullable=False, server_default="[]"),
        sa.Column("rung", sa.Text, nullable=False, server_default="[]"),
        sa.Column("declines", sa.Integer, nullable=False, server_default="0"),
        sa.Column("room", sa.String(64), nullable=True),
        sa.Column("request_id", sa.String(16), nullable=True),
        sa.Column("recorded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("requested_at", sa.Float, nullable=False),
        sa.Column("accepted_at", sa.Float, nullable=True),
        sa.Column("ended_at", sa.Float, nullable=True),
    )
    op.create_index("calls_requested_at", "calls", ["requested_at"])
    op.create_table(
        "requests",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("station_id", sa.String(16), nullable=False),
        sa.Column("site", sa.String(64), nullable=False, server_default=""),
        sa.Column("exam", sa.String(64), nullable=False),
        sa.Column("specialty", sa.String(32), nullable=False, server_default=""),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("urgency", sa.String(8), nullable=False),
        sa.Column("preferred_time", sa.String(32), nullable=False, server_default=""),
        sa.Column("reference", sa.String(32), nullable=False, server_default=""),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("taken_by", sa.String(16), nullable=True),
        sa.Column("taken_at", sa.Float, nullable=True),
        sa.Column("call_id", sa.String(16), nullable=True),
    )
    op.create_index("requests_status", "requests", ["status"])


def downgrade() -> None:
    op.drop_table("requests")
    op.drop_index("calls_requested_at", "calls")
    op.drop_table("calls")
    op.drop_table("devices")
