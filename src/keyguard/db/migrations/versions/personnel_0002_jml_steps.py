"""joiner/mover/leaver steps other than grant revocations

Revision ID: personnel_0002
Revises: personnel_0001
Create Date: 2026-11-29 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keyguard.db.types

revision: str = "personnel_0002"
down_revision: str | Sequence[str] | None = "personnel_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jml_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("done_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["jml_task.id"],
            name=op.f("fk_jml_step_task_id_jml_task"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_jml_step_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jml_step")),
        sa.UniqueConstraint(
            "task_id", "kind", "subject", name=op.f("uq_jml_step_task_id_kind_subject")
        ),
    )
    with op.batch_alter_table("jml_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jml_step_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jml_step_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jml_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jml_step_unit_id"))
        batch_op.drop_index(batch_op.f("ix_jml_step_task_id"))
    op.drop_table("jml_step")
