"""Running and administering the service: ``serve``, ``worker``, ``users``, ``clients``, ``config``.

``admin gc`` runs the retention sweep by hand (:mod:`makeready.store.retention`); ``admin backup``
and ``admin restore`` write and load a portable backup (:mod:`makeready.store.backup`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from makeready.cli.app import app
from makeready.cli.console import JSON_HELP, err, out, print_json, reports_errors

users_app = typer.Typer(
    help="Manage the service's users (passwords hashed with argon2).", no_args_is_help=True
)
clients_app = typer.Typer(help="Manage the service's API clients (client credentials).", no_args_is_help=True)
config_app = typer.Typer(
    help="The service's settings (MAKEREADY_* environment variables).", no_args_is_help=True
)
app.add_typer(users_app, name="users", rich_help_panel="Service")
app.add_typer(clients_app, name="clients", rich_help_panel="Service")
admin_app = typer.Typer(
    help="Keep a self-hosted service: retention of tasks and blobs, backup and restore.",
    no_args_is_help=True,
)
app.add_typer(config_app, name="config", rich_help_panel="Service")
app.add_typer(admin_app, name="admin", rich_help_panel="Service")


@app.command(name="serve", rich_help_panel="Service")
def serve_command(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (MAKEREADY_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (MAKEREADY_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(help="Embedded job threads (MAKEREADY_WORKERS).")] = None,
) -> None:
    """Run the REST service (both external APIs); jobs run inside it unless MAKEREADY_JOBS=celery."""
    import uvicorn

    from makeready.service import create_app
    from makeready.settings import Settings

    changes = {k: v for k, v in (("host", host), ("port", port), ("workers", workers)) if v is not None}
    settings = Settings(**changes)  # type: ignore[arg-type]
    err.print(f"makeready serving on [bold]{settings.base_url}[/] (docs: {settings.base_url}/docs, "
               f"data: {escape(str(settings.data_dir))})")  # fmt: skip
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning",
                access_log=False, proxy_headers=True)  # fmt: skip


@app.command(name="worker", rich_help_panel="Service")
def worker_command(
    queues: Annotated[
        str | None,
        typer.Option(help="Comma-separated queues without the prefix, e.g. heavy (default: all of them)."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Worker processes (MAKEREADY_WORKER_CONCURRENCY, default: cores).")
    ] = None,
    pool: Annotated[
        str, typer.Option(help="Celery pool: prefork (isolates geometry), solo or threads.")
    ] = "prefork",
    loglevel: Annotated[str, typer.Option(help="Celery's log level.")] = "INFO",
    supervised: Annotated[
        bool,
        typer.Option(
            "--supervised/--no-supervise",
            help="Keep the Celery worker alive: restart it when it exits or when Redis restarts.",
        ),
    ] = True,
) -> None:
    """Run a Celery worker for the scaled mode (MAKEREADY_JOBS=celery, MAKEREADY_BROKER_URL).

    It runs jobs from the broker's queues against the shared database and blob store, and
    sweeps: jobs of dead workers and lost messages are sent again.
    """
    import os

    from makeready.jobs.celery import celery_app
    from makeready.settings import Settings
    from makeready.store.connect import open_database

    # Worker processes read their settings from the environment: pass the options on that way.
    os.environ["MAKEREADY_JOBS"] = "celery"
    if concurrency is not None:
        os.environ["MAKEREADY_WORKER_CONCURRENCY"] = str(concurrency)
    settings = Settings()
    if supervised:
        from makeready.jobs.supervise import supervise

        child = [
            sys.executable,
            "-m",
            "makeready",
            "worker",
            "--no-supervise",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
        ]
        if queues is not None:
            child.append(f"--queues={queues}")
        raise typer.Exit(supervise(child, settings.broker_url))
    open_database(settings).migrate()  # a worker may start before any API process
    chosen = (
        settings.queues
        if queues is None
        else [f"{settings.queue_prefix}.{q.strip()}" for q in queues.split(",")]
    )
    err.print(f"makeready worker: {settings.worker_concurrency} x {pool} on {', '.join(chosen)}")
    celery_app(settings).worker_main(
        [
            "worker",
            f"--queues={','.join(chosen)}",
            f"--concurrency={settings.worker_concurrency}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            f"--hostname=makeready-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


def _database(*, migrate: bool = True) -> Any:
    from makeready.settings import Settings
    from makeready.store.connect import open_database

    db = open_database(Settings())
    if migrate:
        db.migrate()
    return db


@users_app.command(name="create")
@reports_errors
def users_create(
    name: Annotated[str, typer.Argument(help="Username.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="At least 8 characters.")],
    scopes: Annotated[str, typer.Option(help="Space-separated: read, write, admin.")] = "read write",
) -> None:
    """Create a user who signs in with a password (token endpoint, password grant)."""
    from makeready.service.accounts import create_user

    user = create_user(_database(), name, password, scopes)
    out.print(f"user [bold]{escape(user.username)}[/] created (scopes: {user.scopes})")


@clients_app.command(name="create")
@reports_errors
def clients_create(
    client_id: Annotated[str, typer.Argument(help="Client id (the API's BACKEND_ID).")],
    scopes: Annotated[str, typer.Option(help="Space-separated: read, write, admin.")] = "read write",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {client_id, client_secret} as JSON.")
    ] = False,
) -> None:
    """Create a confidential API client and print its secret (shown once, stored hashed)."""
    from makeready.service.accounts import create_client

    client, secret = create_client(_database(), client_id, None, scopes)
    if as_json:
        print_json({"client_id": client.client_id, "client_secret": secret})
        return
    out.print(f"client [bold]{escape(client.client_id)}[/] created (scopes: {client.scopes})")
    out.print("client secret (store it now; it is not shown again):")
    print(secret)


#: Settings whose values are never printed.
_SECRET_FIELDS = frozenset({"bootstrap_password", "bootstrap_client_secret"})


def _shown(name: str, value: Any) -> Any:
    """A setting as printed: secrets hidden, passwords inside URLs (user:pass@host) hidden."""
    import re

    if value is None:
        return None
    if name in _SECRET_FIELDS or "secret" in name or "password" in name:
        return "********"
    if isinstance(value, str):
        return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1********@", value)
    return value if isinstance(value, int | float | bool | list | dict) else str(value)


@config_app.command(name="show")
def config_show(as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False) -> None:
    """Every setting with its value and where it came from (environment or default); secrets hidden."""
    import os

    from makeready.settings import Settings

    settings = Settings()
    rows = []
    for name, field in Settings.model_fields.items():
        variable = f"MAKEREADY_{name.upper()}"
        source = "environment" if variable in os.environ else "default"
        rows.append({"setting": name, "variable": variable, "value": _shown(name, getattr(settings, name)),
                     "source": source, "description": field.description or ""})  # fmt: skip
    if as_json:
        print_json({r["setting"]: {k: v for k, v in r.items() if k != "setting"} for r in rows})
        return
    table = Table(title="makeready settings (set MAKEREADY_<NAME> to change one)", title_justify="left")
    for column in ("variable", "value", "from", "meaning"):
        table.add_column(column, overflow="fold")
    for r in rows:
        colour = "bold" if r["source"] == "environment" else "dim"
        value = "—" if r["value"] is None else str(r["value"])
        table.add_row(r["variable"], f"[{colour}]{escape(value)}[/]", r["source"], escape(r["description"]))
    out.print(table)


@admin_app.command(name="gc")
@reports_errors
def admin_gc(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would go; delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Delete expired tasks and the blobs no file, part or report refers to.

    The service runs the same sweep every MAKEREADY_GC_INTERVAL_S; safe while it runs.
    """
    from makeready.settings import Settings
    from makeready.store.connect import open_blobs
    from makeready.store.retention import sweep

    settings = Settings()
    report = sweep(_database(), open_blobs(settings), settings, dry_run=dry_run)
    summary = {
        "dry_run": report.dry_run,
        "tasks": report.tasks,
        "blobs": report.blobs,
        "bytes": report.bytes,
        "referenced_blobs": report.referenced,
        "recent_blobs_kept": report.recent,
        "seconds": round(report.seconds, 3),
    }
    if as_json:
        print_json(summary)
        return
    verb = "would delete" if dry_run else "deleted"
    out.print(f"{verb} {report.tasks:,} expired task(s) (older than {settings.keep_tasks_days:g} days)")
    out.print(f"{verb} {report.blobs:,} unreferenced blob(s), {_size(report.bytes)}")
    out.print(f"kept {report.referenced:,} blob(s) in use, {report.recent:,} reused during the sweep")


@admin_app.command(name="backup")
@reports_errors
def admin_backup(
    target: Annotated[Path, typer.Argument(help="The backup file to write (a tar file).", dir_okay=False)],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Write every row and every blob they refer to into one portable file.

    Safe while the service runs (one consistent snapshot of the database). A backup of SQLite
    restores into PostgreSQL and the other way round; an older one into a newer makeready.
    """
    from makeready.settings import Settings
    from makeready.store.backup import backup
    from makeready.store.connect import open_blobs

    settings = Settings()
    with err.status("backing up…"):
        report = backup(_database(migrate=False), open_blobs(settings), target)  # as it is
    size = report.path.stat().st_size
    summary = {
        "path": str(report.path),
        "revision": report.revision,
        "rows": report.rows,
        "blobs": report.blobs,
        "blob_bytes": report.blob_bytes,
        "bytes": size,
        "seconds": round(report.seconds, 3),
    }
    if as_json:
        print_json(summary)
        return
    out.print(
        f"wrote {report.path}: {sum(report.rows.values()):,} rows in {len(report.rows)} tables,"
        f" {report.blobs:,} blobs ({_size(report.blob_bytes)}), schema {report.revision},"
        f" {_size(size)} in {report.seconds:.1f} s"
    )


@admin_app.command(name="restore")
@reports_errors
def admin_restore(
    source: Annotated[
        Path, typer.Argument(help="A file written by `makeready admin backup`.", dir_okay=False)
    ],
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Load a backup into an empty database and blob store, then upgrade the schema.

    Point MAKEREADY_DATA_DIR (or MAKEREADY_DATABASE_URL and MAKEREADY_BLOBS_URL) at the new
    place and run this before the server first starts there.
    """
    from makeready.settings import Settings
    from makeready.store.backup import restore
    from makeready.store.connect import open_blobs, open_database

    settings = Settings()
    db = open_database(settings)
    with err.status("restoring…"):
        report = restore(db, open_blobs(settings, create=True), source)
    summary = {
        "from_revision": report.from_revision,
        "to_revision": report.to_revision,
        "rows": report.rows,
        "blobs": report.blobs,
        "blob_bytes": report.blob_bytes,
        "seconds": round(report.seconds, 3),
    }
    if as_json:
        print_json(summary)
        return
    upgraded = (
        f", schema upgraded {report.from_revision} -> {report.to_revision}"
        if report.from_revision != report.to_revision
        else f", schema {report.to_revision}"
    )
    out.print(
        f"restored {sum(report.rows.values()):,} rows in {len(report.rows)} tables,"
        f" {report.blobs:,} blobs ({_size(report.blob_bytes)}){upgraded} in {report.seconds:.1f} s"
    )


def _size(count: int) -> str:
    """Bytes for people: 1.5 MB, 320 kB, 12 B (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} B"
