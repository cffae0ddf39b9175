"""re-identification requests

Revision ID: privacy_0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import keyguard.db.types

revision: str = "privacy_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("privacy",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "reident_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("scope_id", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("user_key", sa.String(length=200), nullable=True),
        sa.Column("subject_label", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("requested_by_account_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_person_id", sa.Integer(), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by_account_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("expires_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoked_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_account_id"],
            ["account.id"],
            name=op.f("fk_reident_request_decided_by_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_reident_request_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_account_id"],
            ["account.id"],
            name=op.f("fk_reident_request_requested_by_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_reident_request_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reident_request")),
    )

    with op.batch_alter_table("reident_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reident_request_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reident_request_requested_by_account_id"),
            ["requested_by_account_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_reident_request_scope_id"), ["scope_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reident_request_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_reident_request_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reident_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reident_request_unit_id"))
        batch_op.drop_index(batch_op.f("ix_reident_request_status"))
        batch_op.drop_index(batch_op.f("ix_reident_request_scope_id"))
        batch_op.drop_index(batch_op.f("ix_reident_request_requested_by_account_id"))
        batch_op.drop_index(batch_op.f("ix_reident_request_person_id"))

    op.drop_table("reident_request")
