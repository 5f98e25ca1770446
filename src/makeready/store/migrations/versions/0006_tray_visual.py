"""Prepared trays' visual files (binary glTF from ``trays/prepare`` with ``generate_visual``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 20:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the trays' visual file id."""
    with op.batch_alter_table("trays") as batch:
        batch.add_column(sa.Column("visual_file_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("trays") as batch:
        batch.drop_column("visual_file_id")
