"""courses, campaigns, assignments, quiz attempts, certificates

Revision ID: education_0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keyguard.db.types
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "education_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("education",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(length=300), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=True),
        sa.Column("max_attempts", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_course_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course")),
        sa.UniqueConstraint(
            "unit_id", "urn", "version", name=op.f("uq_course_unit_id_urn_version")
        ),
    )
    with op.batch_alter_table("course", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_course_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_course_urn"), ["urn"], unique=False)

    op.create_table(
        "training_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("course_urn", sa.String(length=300), nullable=False),
        sa.Column("audience", sa.String(length=60), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("recurrence", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_training_campaign_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_campaign")),
    )
    with op.batch_alter_table("training_campaign", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_campaign_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "training_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("course_urn", sa.String(length=300), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("assigned_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("completed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("course_id", sa.Integer(), nullable=True),
        sa.Column("best_score", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["training_campaign.id"],
            name=op.f("fk_training_assignment_campaign_id_training_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_training_assignment_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_training_assignment_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_training_assignment_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_assignment")),
        sa.UniqueConstraint(
            "campaign_id",
            "person_id",
            "period",
            name=op.f("uq_training_assignment_campaign_id_person_id_period"),
        ),
    )
    with op.batch_alter_table("training_assignment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_assignment_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_assignment_due_on"), ["due_on"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_training_assignment_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_assignment_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "training_refresher_reason",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("reason_kind", sa.String(length=40), nullable=False),
        sa.Column("reason_id", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("closed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("assigned_by", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["training_assignment.id"],
            name=op.f("fk_training_refresher_reason_assignment_id_training_assignment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_training_refresher_reason_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_refresher_reason")),
        sa.UniqueConstraint(
            "assignment_id", name=op.f("uq_training_refresher_reason_assignment_id")
        ),
    )
    with op.batch_alter_table("training_refresher_reason", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_refresher_reason_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "quiz_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("course_urn", sa.String(length=300), nullable=False),
        sa.Column("seed", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column(
            "question_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("started_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "answers",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_quiz_attempt_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_quiz_attempt_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_quiz_attempt_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quiz_attempt")),
    )
    with op.batch_alter_table("quiz_attempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quiz_attempt_course_id"), ["course_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quiz_attempt_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quiz_attempt_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "training_material_read",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("read_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_training_material_read_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_training_material_read_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_training_material_read_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_material_read")),
        sa.UniqueConstraint(
            "person_id", "course_id", name=op.f("uq_training_material_read_person_id_course_id")
        ),
    )
    with op.batch_alter_table("training_material_read", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_material_read_course_id"), ["course_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_material_read_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_material_read_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "training_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("person_name", sa.String(length=300), nullable=False),
        sa.Column("course_title", sa.String(length=300), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("issued_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["quiz_attempt.id"],
            name=op.f("fk_training_certificate_attempt_id_quiz_attempt"),
        ),
        sa.ForeignKeyConstraint(
            ["course_id"], ["course.id"], name=op.f("fk_training_certificate_course_id_course")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_training_certificate_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_training_certificate_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_certificate")),
        sa.UniqueConstraint("attempt_id", name=op.f("uq_training_certificate_attempt_id")),
        sa.UniqueConstraint("serial", name=op.f("uq_training_certificate_serial")),
    )
    with op.batch_alter_table("training_certificate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_certificate_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_training_certificate_unit_id"), ["unit_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("training_certificate")
    op.drop_table("training_material_read")
    op.drop_table("quiz_attempt")
    op.drop_table("training_refresher_reason")
    op.drop_table("training_assignment")
    op.drop_table("training_campaign")
    op.drop_table("course")
