"""TOTP replay protection and idle session timeout

Revision ID: foundation_0002
Revises: foundation_0001
Create Date: 2026-11-29 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keyguard.db.types

revision: str = "foundation_0002"
down_revision: str | Sequence[str] | None = "foundation_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("web_session") as batch:
        batch.add_column(sa.Column("last_seen_at", keyguard.db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_session") as batch:
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("totp_last_step")
