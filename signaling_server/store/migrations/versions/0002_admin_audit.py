"""The admin page's audit log: who did what, from where, when.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.String(256), nullable=False, server_default=""),
    )
    op.create_index("admin_audit_at", "admin_audit", ["at"])


def downgrade() -> None:
    op.drop_index("admin_audit_at", "admin_audit")
    op.drop_table("admin_audit")
