"""register items, grants, reviews, hosts

Revision ID: register_0001
Revises:
Create Date: 2026-11-29 16:59:02.369478
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import keyguard.db.types
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql


revision: str = "register_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("register",)
depends_on: str | Sequence[str] | None = "foundation_0001"


def upgrade() -> None:
    op.create_table(
        "access_review_campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_access_review_campaign_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_review_campaign")),
    )
    with op.batch_alter_table("access_review_campaign", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_review_campaign_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "host",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=200), nullable=False),
        sa.Column("assigned_person_id", sa.Integer(), nullable=True),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("removable_media_allowed", sa.Boolean(), nullable=False),
        sa.Column("assignment_source", sa.String(length=20), nullable=False),
        sa.Column("known_from", sa.Date(), nullable=False),
        sa.Column("inferred_user", sa.String(length=200), nullable=True),
        sa.Column("inferred_share", sa.Float(), nullable=True),
        sa.Column("inferred_days", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assigned_person_id"],
            ["person.id"],
            name=op.f("fk_host_assigned_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_host_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_host")),
        sa.UniqueConstraint("unit_id", "name_key", name=op.f("uq_host_unit_id_name_key")),
    )
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_host_assigned_person_id"), ["assigned_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_host_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "register_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("level", sa.String(length=60), nullable=False),
        sa.Column("compartment", sa.String(length=100), nullable=True),
        sa.Column("owner_department_id", sa.Integer(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("custodian_id", sa.Integer(), nullable=True),
        sa.Column("created_on", sa.Date(), nullable=True),
        sa.Column("review_date", sa.Date(), nullable=True),
        sa.Column("retention_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("room", sa.String(length=100), nullable=True),
        sa.Column("safe", sa.String(length=100), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["custodian_id"],
            ["person.id"],
            name=op.f("fk_register_item_custodian_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_department_id"],
            ["org_node.id"],
            name=op.f("fk_register_item_owner_department_id_org_node"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["person.id"],
            name=op.f("fk_register_item_owner_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_register_item_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_item")),
        sa.UniqueConstraint(
            "unit_id", "reference", name=op.f("uq_register_item_unit_id_reference")
        ),
    )
    with op.batch_alter_table("register_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_register_item_compartment"), ["compartment"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_register_item_custodian_id"), ["custodian_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_register_item_owner_department_id"),
            ["owner_department_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_register_item_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_register_item_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "access_grant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grantee_type", sa.String(length=20), nullable=False),
        sa.Column("grantee_person_id", sa.Integer(), nullable=True),
        sa.Column("grantee_node_id", sa.Integer(), nullable=True),
        sa.Column("grantee_title", sa.String(length=200), nullable=True),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("compartment", sa.String(length=100), nullable=True),
        sa.Column("level", sa.String(length=60), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approvals_required", sa.Integer(), nullable=False),
        sa.Column("requested_by_account_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_person_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("revoked_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.Column("last_reviewed_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("superseded_by_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("known_from", sa.Date(), nullable=False),
        sa.Column("created_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["grantee_node_id"],
            ["org_node.id"],
            name=op.f("fk_access_grant_grantee_node_id_org_node"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grantee_person_id"],
            ["person.id"],
            name=op.f("fk_access_grant_grantee_person_id_person"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["register_item.id"],
            name=op.f("fk_access_grant_item_id_register_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_account_id"],
            ["account.id"],
            name=op.f("fk_access_grant_requested_by_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_person_id"],
            ["person.id"],
            name=op.f("fk_access_grant_requested_by_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["superseded_by_id"],
            ["access_grant.id"],
            name=op.f("fk_access_grant_superseded_by_id_access_grant"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_access_grant_unit_id_unit"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grant")),
    )
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_grant_grantee_node_id"), ["grantee_node_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_grant_grantee_person_id"), ["grantee_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_access_grant_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_access_grant_known_from"), ["known_from"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_access_grant_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_access_grant_unit_id"), ["unit_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_access_grant_valid_from"), ["valid_from"], unique=False
        )

    op.create_table(
        "register_checkout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("checked_out_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("returned_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("received_by", sa.String(length=200), nullable=True),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["register_item.id"],
            name=op.f("fk_register_checkout_item_id_register_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_register_checkout_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_register_checkout_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_checkout")),
    )
    with op.batch_alter_table("register_checkout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_register_checkout_item_id"), ["item_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_register_checkout_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_register_checkout_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "register_disposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("on_day", sa.Date(), nullable=False),
        sa.Column("from_level", sa.String(length=60), nullable=False),
        sa.Column("to_level", sa.String(length=60), nullable=True),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("witness1_id", sa.Integer(), nullable=False),
        sa.Column("witness2_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["register_item.id"],
            name=op.f("fk_register_disposal_item_id_register_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_register_disposal_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["witness1_id"], ["person.id"], name=op.f("fk_register_disposal_witness1_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["witness2_id"], ["person.id"], name=op.f("fk_register_disposal_witness2_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_disposal")),
    )
    with op.batch_alter_table("register_disposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_register_disposal_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_register_disposal_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "register_location",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("pattern", sa.String(length=1000), nullable=False),
        sa.Column("normalised", sa.String(length=1000), nullable=False),
        sa.Column("anchor", sa.String(length=1000), nullable=False),
        sa.Column("exact", sa.Boolean(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["register_item.id"],
            name=op.f("fk_register_location_item_id_register_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_register_location_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_location")),
        sa.UniqueConstraint(
            "item_id", "normalised", name=op.f("uq_register_location_item_id_normalised")
        ),
    )
    with op.batch_alter_table("register_location", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_register_location_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_register_location_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "access_grant_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("decided_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_access_grant_approval_account_id_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["access_grant.id"],
            name=op.f("fk_access_grant_approval_grant_id_access_grant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
            name=op.f("fk_access_grant_approval_person_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_access_grant_approval_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_grant_approval")),
        sa.UniqueConstraint(
            "grant_id", "person_id", name=op.f("uq_access_grant_approval_grant_id_person_id")
        ),
    )
    with op.batch_alter_table("access_grant_approval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_grant_approval_grant_id"), ["grant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_grant_approval_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "access_review_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decided_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("last_escalated_at", keyguard.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["access_review_campaign.id"],
            name=op.f("fk_access_review_task_campaign_id_access_review_campaign"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["access_grant.id"],
            name=op.f("fk_access_review_task_grant_id_access_grant"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["person.id"],
            name=op.f("fk_access_review_task_reviewer_id_person"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
            name=op.f("fk_access_review_task_unit_id_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_review_task")),
        sa.UniqueConstraint(
            "campaign_id", "grant_id", name=op.f("uq_access_review_task_campaign_id_grant_id")
        ),
    )
    with op.batch_alter_table("access_review_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_access_review_task_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_review_task_grant_id"), ["grant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_review_task_reviewer_id"), ["reviewer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_access_review_task_unit_id"), ["unit_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("access_review_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_review_task_unit_id"))
        batch_op.drop_index(batch_op.f("ix_access_review_task_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_access_review_task_grant_id"))
        batch_op.drop_index(batch_op.f("ix_access_review_task_campaign_id"))

    op.drop_table("access_review_task")
    with op.batch_alter_table("access_grant_approval", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_grant_approval_unit_id"))
        batch_op.drop_index(batch_op.f("ix_access_grant_approval_grant_id"))

    op.drop_table("access_grant_approval")
    with op.batch_alter_table("register_location", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_location_unit_id"))
        batch_op.drop_index(batch_op.f("ix_register_location_item_id"))

    op.drop_table("register_location")
    with op.batch_alter_table("register_disposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_disposal_unit_id"))
        batch_op.drop_index(batch_op.f("ix_register_disposal_item_id"))

    op.drop_table("register_disposal")
    with op.batch_alter_table("register_checkout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_checkout_unit_id"))
        batch_op.drop_index(batch_op.f("ix_register_checkout_person_id"))
        batch_op.drop_index(batch_op.f("ix_register_checkout_item_id"))

    op.drop_table("register_checkout")
    with op.batch_alter_table("access_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_grant_valid_from"))
        batch_op.drop_index(batch_op.f("ix_access_grant_unit_id"))
        batch_op.drop_index(batch_op.f("ix_access_grant_status"))
        batch_op.drop_index(batch_op.f("ix_access_grant_known_from"))
        batch_op.drop_index(batch_op.f("ix_access_grant_item_id"))
        batch_op.drop_index(batch_op.f("ix_access_grant_grantee_person_id"))
        batch_op.drop_index(batch_op.f("ix_access_grant_grantee_node_id"))

    op.drop_table("access_grant")
    with op.batch_alter_table("register_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_item_unit_id"))
        batch_op.drop_index(batch_op.f("ix_register_item_owner_id"))
        batch_op.drop_index(batch_op.f("ix_register_item_owner_department_id"))
        batch_op.drop_index(batch_op.f("ix_register_item_custodian_id"))
        batch_op.drop_index(batch_op.f("ix_register_item_compartment"))

    op.drop_table("register_item")
    with op.batch_alter_table("host", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_host_unit_id"))
        batch_op.drop_index(batch_op.f("ix_host_assigned_person_id"))

    op.drop_table("host")
    with op.batch_alter_table("access_review_campaign", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_review_campaign_unit_id"))

    op.drop_table("access_review_campaign")
