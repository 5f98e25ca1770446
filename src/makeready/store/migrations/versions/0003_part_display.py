"""The viewer's display document of each analysed part (``GET /api/v1/part/{id}/display``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the parts' display blob (gzip of makeready.rendering.display's binary document)."""
    with op.batch_alter_table("parts") as batch:
        batch.add_column(sa.Column("display_sha256", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop it again."""
    with op.batch_alter_table("parts") as batch:
        batch.drop_column("display_sha256")
