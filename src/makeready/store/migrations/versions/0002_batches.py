"""Batches: many parts screened together (``POST /api/v1/batch/``).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the batches table and the parts' batch id."""
    op.create_table(
        "batches",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("refused", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_batches_owner"), "batches", ["owner"], unique=False)
    with op.batch_alter_table("parts") as batch:
        batch.add_column(sa.Column("batch_id", sa.String(length=32), nullable=True))
        batch.create_index(batch.f("ix_parts_batch_id"), ["batch_id"], unique=False)


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("parts") as batch:
        batch.drop_index(batch.f("ix_parts_batch_id"))
        batch.drop_column("batch_id")
    op.drop_index(op.f("ix_batches_owner"), table_name="batches")
    op.drop_table("batches")
