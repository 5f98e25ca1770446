"""Meshes' visual files (binary glTF from ``meshes/generate-visual``).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 19:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the meshes' visual file id."""
    with op.batch_alter_table("meshes") as batch:
        batch.add_column(sa.Column("visual_file_id", sa.String(length=36), nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("meshes") as batch:
        batch.drop_column("visual_file_id")
