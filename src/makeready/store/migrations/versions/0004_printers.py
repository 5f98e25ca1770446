"""Printers (connections to print servers, keys sealed) and print jobs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the printers and print_jobs tables."""
    op.create_table(
        "printers",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("owner", sa.String(length=200), nullable=False, index=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("api_key_sealed", sa.Text(), nullable=False),
        sa.Column("printer_type_id", sa.String(length=36), nullable=True),
        sa.Column("server", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "print_jobs",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column("owner", sa.String(length=200), nullable=False, index=True),
        sa.Column("printer_id", sa.String(length=36), nullable=False, index=True),
        sa.Column("job_name", sa.String(length=255), nullable=False),
        sa.Column("file_id", sa.String(length=36), nullable=False),
        sa.Column("tray_id", sa.String(length=36), nullable=True),
        sa.Column("remote_name", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("print_jobs")
    op.drop_table("printers")
