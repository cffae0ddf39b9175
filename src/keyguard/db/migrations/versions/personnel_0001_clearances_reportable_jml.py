"""clearances, reportable events, joiner/mover/leaver

Revision ID: personnel_0001
Revises:
Create Date: 2026-11-29 16:59:02.369478
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keyguard.db.types
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql


revision: str = "personnel_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("personnel",)
depends_on: str | Sequence[str] | None = ("foundation_0001", "register_0001")


def upgrade() -> None:
    op.create_table(
        "clearance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=60), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("vetting_started_on", sa.Date(), nullable=True),
        sa.Column("vetting_completed_on", sa.Date(), nullable=True),
        sa.Column("next_vetting_due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("known_from", sa.Date(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_clearance_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_clearance_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearance")),
    )
    with op.batch_alter_table("clearance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearance_known_from"), ["known_from"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearance_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearance_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearance_valid_from"), ["valid_from"], unique=False)

    op.create_table(
        "jml_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("trigger_version_id", sa.Integer(), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("known_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("completed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_jml_task_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trigger_version_id"],
            ["person_version.id"],
            name=op.f("fk_jml_task_trigger_version_id_person_version"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_jml_task_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jml_task")),
        sa.UniqueConstraint(
            "trigger_version_id", "kind", name=op.f("uq_jml_task_trigger_version_id_kind")
        ),
    )
    with op.batch_alter_table("jml_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jml_task_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jml_task_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_jml_task_trigger_version_id"), ["trigger_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_jml_task_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "reportable_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("until_on", sa.Date(), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("counterpart", sa.String(length=300), nullable=True),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("filed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("filed_by_account_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reviewed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_account_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["filed_by_account_id"],
            ["account.id"],
            name=op.f("fk_reportable_event_filed_by_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_reportable_event_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_account_id"],
            ["account.id"],
            name=op.f("fk_reportable_event_reviewed_by_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_reportable_event_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reportable_event")),
    )
    with op.batch_alter_table("reportable_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reportable_event_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_reportable_event_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "jml_grant_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=True),
        sa.Column("done_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["access_grant.id"],
            name=op.f("fk_jml_grant_step_grant_id_access_grant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["jml_task.id"],
            name=op.f("fk_jml_grant_step_task_id_jml_task"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_jml_grant_step_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jml_grant_step")),
        sa.UniqueConstraint("task_id", "grant_id", name=op.f("uq_jml_grant_step_task_id_grant_id")),
    )
    with op.batch_alter_table("jml_grant_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jml_grant_step_grant_id"), ["grant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jml_grant_step_task_id"), ["task_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_jml_grant_step_unit_id"), ["unit_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jml_grant_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jml_grant_step_unit_id"))
        batch_op.drop_index(batch_op.f("ix_jml_grant_step_task_id"))
        batch_op.drop_index(batch_op.f("ix_jml_grant_step_grant_id"))

    op.drop_table("jml_grant_step")
    with op.batch_alter_table("reportable_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reportable_event_unit_id"))
        batch_op.drop_index(batch_op.f("ix_reportable_event_person_id"))

    op.drop_table("reportable_event")
    with op.batch_alter_table("jml_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jml_task_unit_id"))
        batch_op.drop_index(batch_op.f("ix_jml_task_trigger_version_id"))
        batch_op.drop_index(batch_op.f("ix_jml_task_status"))
        batch_op.drop_index(batch_op.f("ix_jml_task_person_id"))

    op.drop_table("jml_task")
    with op.batch_alter_table("clearance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearance_valid_from"))
        batch_op.drop_index(batch_op.f("ix_clearance_unit_id"))
        batch_op.drop_index(batch_op.f("ix_clearance_person_id"))
        batch_op.drop_index(batch_op.f("ix_clearance_known_from"))

    op.drop_table("clearance")
