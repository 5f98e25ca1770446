"""Engines, sessions and migrations: SQLite (WAL) by default, PostgreSQL by URL.

SQLite is tuned for one process with a pool of threads: WAL so readers never wait for the
writer, ``synchronous=NORMAL`` (durable at checkpoints, safe against corruption), a busy
timeout instead of immediate ``database is locked`` errors, and foreign keys on. The schema is
always created by Alembic's migrations (``makeready/store/migrations``), never by
``create_all``, so an existing database is upgraded in place.
"""

from __future__ import annotations

import datetime as dt
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["Database", "as_utc"]

_MIGRATION_LOCK = 0x6D616B65  # "make": the advisory lock key of schema migrations


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A timestamp read back from the database as aware UTC (SQLite returns naive ones)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """An engine and its session factory for one database URL.

    Parameters
    ----------
    url : str
        SQLAlchemy URL: ``sqlite:///path/makeready.db`` or ``postgresql+pg8000://…``
        (``postgresql://`` is read as pg8000).
    pool_size, max_overflow : int
        Pooled connections per process and the extra ones allowed under load (servers only;
        SQLite keeps one pooled connection per request thread).
    pool_timeout_s, pool_recycle_s : float
        Wait for a free connection, and the age at which a pooled connection is reopened
        (servers and proxies such as PgBouncer close idle connections).

    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 30,
        pool_timeout_s: float = 30.0,
        pool_recycle_s: float = 1800.0,
    ) -> None:
        parsed = make_url(url)
        if parsed.drivername in ("postgresql", "postgres"):
            parsed = parsed.set(drivername="postgresql+pg8000")
        self.url = parsed
        # Enough pooled connections for every request thread (anyio's pool has 40) and the
        # workers: opening a connection per request costs more than the query.
        kwargs: dict[str, Any] = {"pool_size": 48, "max_overflow": 16}
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs.update(
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_timeout=pool_timeout_s,
                pool_recycle=pool_recycle_s,
                pool_pre_ping=True,  # servers restart; files do not
            )
        self.engine: Engine = create_engine(parsed, **kwargs)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.url.get_backend_name()

    def session(self) -> Session:
        """A new session (use as a context manager)."""
        return self.sessions()

    def migrate(self) -> None:
        """Create or upgrade the schema to the newest migration.

        API replicas and workers all migrate at start and may start together: PostgreSQL
        serialises them with an advisory lock held for the transaction, SQLite with an
        exclusive lock file beside the database.
        """
        self.upgrade("head")

    def upgrade(self, revision: str) -> None:
        """Apply the migrations up to ``revision`` (``"head"``: the newest), under the lock."""
        self._alembic("upgrade", revision)

    def downgrade(self, revision: str) -> None:
        """Undo the migrations down to ``revision`` (``"base"``: no tables), under the lock."""
        self._alembic("downgrade", revision)

    def revisions(self) -> list[str]:
        """Every schema revision this version knows, oldest first."""
        from alembic.script import ScriptDirectory

        script = ScriptDirectory.from_config(self._alembic_config())
        return [r.revision for r in reversed(list(script.walk_revisions()))]

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(resources.files("makeready.store") / "migrations"))
        return config

    def _alembic(self, direction: str, revision: str) -> None:
        config = self._alembic_config()
        with self._migration_lock(), self.engine.begin() as connection:
            if self.backend == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            config.attributes["connection"] = connection
            getattr(command, direction)(config, revision)

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        database = self.url.database
        if self.backend != "sqlite" or not database or database == ":memory:":
            yield
            return
        with open(f"{database}.migrate-lock", "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def ping(self) -> None:
        """Run ``SELECT 1``; raises when the database cannot be reached."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
