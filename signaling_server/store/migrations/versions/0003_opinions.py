"""The experts' written opinions the server keeps until the call's station has them.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "opinions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("call_id", sa.String(16), nullable=False),
        sa.Column("expert_id", sa.String(16), nullable=False),
        sa.Column("station_id", sa.String(16), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("delivered_at", sa.Float, nullable=True),
    )
    op.create_index("opinions_station", "opinions", ["station_id", "delivered_at"])


def downgrade() -> None:
    op.drop_index("opinions_station", "opinions")
    op.drop_table("opinions")
