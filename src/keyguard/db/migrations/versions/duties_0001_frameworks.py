"""duty frameworks, assignments, statements, attestations, snapshots

Revision ID: duties_0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keyguard.db.types
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision: str = "duties_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("duties",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "duty_framework_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(length=300), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_duty_framework_file_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_framework_file")),
        sa.UniqueConstraint(
            "unit_id", "sha256", name=op.f("uq_duty_framework_file_unit_id_sha256")
        ),
    )
    with op.batch_alter_table("duty_framework_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duty_framework_file_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "duty_framework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(length=300), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("ref_id", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column(
            "dependencies",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "translations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("archived_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["duty_framework_file.id"],
            name=op.f("fk_duty_framework_file_id_duty_framework_file"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_duty_framework_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_framework")),
        sa.UniqueConstraint(
            "unit_id", "urn", "version", name=op.f("uq_duty_framework_unit_id_urn_version")
        ),
    )
    with op.batch_alter_table("duty_framework", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_framework_file_id"), ["file_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_framework_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_framework_urn"), ["urn"], unique=False)

    op.create_table(
        "duty_object",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(length=300), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("ref_id", sa.String(length=60), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("assessable", sa.Boolean(), nullable=False),
        sa.Column("level", sa.String(length=30), nullable=True),
        sa.Column("frequency", sa.String(length=20), nullable=True),
        sa.Column(
            "evidence",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "references",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "translations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["duty_framework.id"],
            name=op.f("fk_duty_object_framework_id_duty_framework"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["duty_object.id"], name=op.f("fk_duty_object_parent_id_duty_object")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_duty_object_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_object")),
        sa.UniqueConstraint("framework_id", "urn", name=op.f("uq_duty_object_framework_id_urn")),
    )
    with op.batch_alter_table("duty_object", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duty_object_framework_id"), ["framework_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duty_object_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_object_urn"), ["urn"], unique=False)

    op.create_table(
        "duty_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("duty_urn", sa.String(length=300), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["duty_id"], ["duty_object.id"], name=op.f("fk_duty_assignment_duty_id_duty_object")
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["position.id"],
            name=op.f("fk_duty_assignment_position_id_position"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_duty_assignment_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_assignment")),
    )
    with op.batch_alter_table("duty_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_assignment_duty_id"), ["duty_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_duty_assignment_duty_urn"), ["duty_urn"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_duty_assignment_position_id"), ["position_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duty_assignment_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "duty_statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("signed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("template_version", sa.Integer(), nullable=False),
        sa.Column(
            "duty_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "duty_urns",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "framework_versions",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_duty_statement_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_duty_statement_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["position.id"],
            name=op.f("fk_duty_statement_position_id_position"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_duty_statement_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_statement")),
    )
    with op.batch_alter_table("duty_statement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duty_statement_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duty_statement_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "duty_attestation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("duty_id", sa.Integer(), nullable=False),
        sa.Column("duty_urn", sa.String(length=300), nullable=False),
        sa.Column("framework_urn", sa.String(length=300), nullable=False),
        sa.Column("framework_version", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("signed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("evidence_note", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_duty_attestation_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["duty_id"], ["duty_object.id"], name=op.f("fk_duty_attestation_duty_id_duty_object")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_duty_attestation_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["position.id"],
            name=op.f("fk_duty_attestation_position_id_position"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_duty_attestation_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_attestation")),
        sa.UniqueConstraint(
            "person_id",
            "duty_urn",
            "period",
            name=op.f("uq_duty_attestation_person_id_duty_urn_period"),
        ),
    )
    with op.batch_alter_table("duty_attestation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_duty_attestation_duty_id"), ["duty_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_duty_attestation_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_duty_attestation_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "compliance_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column(
            "terms",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("computed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["org_node.id"],
            name=op.f("fk_compliance_snapshot_department_id_org_node"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_compliance_snapshot_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compliance_snapshot")),
        sa.UniqueConstraint(
            "unit_id", "scope", "day", name=op.f("uq_compliance_snapshot_unit_id_scope_day")
        ),
    )
    with op.batch_alter_table("compliance_snapshot", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_compliance_snapshot_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_compliance_snapshot_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_compliance_snapshot_unit_id"), ["unit_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("compliance_snapshot")
    op.drop_table("duty_attestation")
    op.drop_table("duty_statement")
    op.drop_table("duty_assignment")
    op.drop_table("duty_object")
    op.drop_table("duty_framework")
    op.drop_table("duty_framework_file")
