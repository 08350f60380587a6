"""Each expert device's signing key, registered at its first sign-in: the key its
opinions must be signed with (the device's own; a device that lost it is enrolled
again).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("devices", sa.Column("signing_key", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("devices", "signing_key")
