"""Alembic environment: migrations run on the connection :meth:`Database.migrate` hands over."""

from __future__ import annotations

from alembic import context

from makeready.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - makeready always passes its own connection
    raise RuntimeError("run migrations through makeready.store.db.Database.migrate()")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
