"""The Alembic migrations build exactly the tables the models declare (SQLite, in process)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from makeready.store.db import Database
from makeready.store.models import Base


def test_migrated_schema_matches_the_models(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'm.db'}")
    database.migrate()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
    database.dispose()
