"""``makeready printers add|list|status|remove`` and ``makeready print``: printers via a server.

Printers are registered on a makeready server (``--server`` / ``MAKEREADY_URL``, signed in
as ``MAKEREADY_USER`` / ``MAKEREADY_PASSWORD``), which keeps each printer's OctoPrint key
encrypted and talks to the printer for every client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from makeready.cli.app import app
from makeready.cli.console import JSON_HELP, out, print_json, progress_bar, reports_errors, server_errors
from makeready.errors import MakereadyError

if TYPE_CHECKING:
    from makeready.client import Client
    from makeready.wire import Printer

printers_app = typer.Typer(
    help="Printers on a makeready server: connections to OctoPrint servers.", no_args_is_help=True
)
app.add_typer(printers_app, name="printers", rich_help_panel="Printing")

Server = Annotated[
    str,
    typer.Option("--server", envvar="MAKEREADY_URL", help="The makeready server that keeps your printers."),
]
User = Annotated[str, typer.Option(envvar="MAKEREADY_USER", help="Server user name.")]
Password = Annotated[
    str | None,
    typer.Option(
        envvar="MAKEREADY_PASSWORD", help="Server password (or MAKEREADY_PASSWORD).", show_default=False
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
DEFAULT_SERVER = "http://127.0.0.1:8000"
#: ``print --wait`` exit status when the print was cancelled or failed (docs/cli.md).
EXIT_NOT_PRINTED = 3


@contextmanager
def _client(server: str, user: str, password: str | None) -> Iterator[Client]:
    from makeready.client import Client

    with server_errors(server), Client(server, username=user, password=password) as client:
        yield client


def _find(client: Client, key: str) -> Printer:
    """A printer by id or name (case ignored)."""
    printers = client.printers()
    found = [p for p in printers if p.id == key] or [
        p for p in printers if p.printer_name.casefold() == key.casefold()
    ]
    if len(found) != 1:
        names = ", ".join(p.printer_name for p in printers) or "none registered"
        what = "several printers are" if found else "no printer is"
        raise MakereadyError("request.not_found", f"{what} named {key!r} (yours: {names})")
    return found[0]


@printers_app.command(name="add")
@reports_errors
def printers_add(
    name: Annotated[str, typer.Argument(help="A name for the printer.")],
    url: Annotated[str, typer.Option(help="The printer's OctoPrint, e.g. http://octopi.local.")],
    api_key: Annotated[
        str,
        typer.Option(envvar="OCTOPRINT_API_KEY", help="An OctoPrint application key.", show_default=False),
    ],
    printer_type: Annotated[
        str | None, typer.Option(help="Its printer type (id or name, e.g. 'Prusa MK4').")
    ] = None,
    server: Server = DEFAULT_SERVER,
    user: User = "admin",
    password: Password = None,
    as_json: AsJson = False,
) -> None:
    """Register a printer; the server checks that its OctoPrint answers and accepts the key."""
    with _client(server, user, password) as client:
        printer = client.register_printer(name, url, api_key, printer_type=printer_type)
    if as_json:
        print_json(printer.model_dump())
        return
    where = f"{printer.connection.get('server')} at {printer.connection.get('url')}"
    out.print(
        f"printer [bold]{escape(printer.printer_name)}[/] registered: {escape(where)} (id {printer.id})"
    )


@printers_app.command(name="list")
@reports_errors
def printers_list(
    server: Server = DEFAULT_SERVER, user: User = "admin", password: Password = None, as_json: AsJson = False
) -> None:
    """Your printers and their state now."""
    with _client(server, user, password) as client:
        printers = client.printers()
        states: dict[str, str] = {}
        for printer in printers:
            try:
                states[printer.id] = client.printer_status(printer.id).printer_status
            except MakereadyError as error:
                states[printer.id] = error.code
    if as_json:
        print_json([{**p.model_dump(), "printer_status": states[p.id]} for p in printers])
        return
    table = Table("name", "state", "server", "url", title=f"{len(printers)} printers on {server}")
    for printer in printers:
        table.add_row(
            escape(printer.printer_name),
            states[printer.id],
            escape(str(printer.connection.get("server", ""))),
            escape(str(printer.connection.get("url", ""))),
        )
    out.print(table)


def _status_rows(status: Any) -> list[tuple[str, str]]:
    rows = [("state", f"{status.printer_status} ({status.message})")]
    if status.job_id:
        rows.append(("job", f"{status.job_name} — {status.job_status} ({status.job_id})"))
    if status.progress is not None:
        rows.append(("progress", f"{100 * status.progress:.1f} %"))
    left = status.data.get("seconds_left")
    if left is not None:
        rows.append(("time left", f"{int(left) // 3600} h {int(left) % 3600 // 60:02d} min"))
    for heater, reading in sorted((status.data.get("temperature") or {}).items()):
        target = reading.get("target")
        rows.append((heater, f"{reading.get('actual')} °C" + (f" (target {target} °C)" if target else "")))
    return rows


@printers_app.command(name="status")
@reports_errors
def printers_status(
    printer: Annotated[str, typer.Argument(help="Printer name or id.")],
    server: Server = DEFAULT_SERVER,
    user: User = "admin",
    password: Password = None,
    as_json: AsJson = False,
) -> None:
    """A printer's state, job, progress and temperatures, read from it now."""
    with _client(server, user, password) as client:
        status = client.printer_status(_find(client, printer).id)
    if as_json:
        print_json(status.model_dump())
        return
    table = Table(show_header=False, title=escape(status.printer_name))
    for key, value in _status_rows(status):
        table.add_row(key, escape(value))
    out.print(table)


@printers_app.command(name="remove")
@reports_errors
def printers_remove(
    printer: Annotated[str, typer.Argument(help="Printer name or id.")],
    server: Server = DEFAULT_SERVER,
    user: User = "admin",
    password: Password = None,
) -> None:
    """Forget a printer (and its stored key); its jobs stay listed."""
    with _client(server, user, password) as client:
        found = _find(client, printer)
        client.delete_printer(found.id)
    out.print(f"printer [bold]{escape(found.printer_name)}[/] removed")


@app.command(name="print", rich_help_panel="Printing")
@reports_errors
def print_command(
    printable: Annotated[
        str,
        typer.Argument(
            help="A printable file (G-code from `makeready slice`/`tray`) or a tray id on the server."
        ),
    ],
    printer: Annotated[str, typer.Option("--printer", help="Printer name or id.")],
    job_name: Annotated[str | None, typer.Option(help="Name of the job (default the file's name).")] = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Follow the print to its end.")] = False,
    server: Server = DEFAULT_SERVER,
    user: User = "admin",
    password: Password = None,
    as_json: AsJson = False,
) -> None:
    """Send a printable to a printer and start it; with --wait, follow it to the end."""
    path = Path(printable)
    with _client(server, user, password) as client:
        target = _find(client, printer)
        if path.is_file():
            file_id = client.upload_file(path).file_id
            job = client.start_print(target.id, file_id=file_id, job_name=job_name)
        else:
            try:
                tray_id = str(uuid.UUID(printable))
            except ValueError:
                raise MakereadyError(
                    "file.not_found", f"{printable} is neither a file nor a tray id"
                ) from None
            job = client.start_print(target.id, tray_id=tray_id, job_name=job_name)
        if not as_json:
            on = escape(target.printer_name)
            out.print(f"job [bold]{escape(job.job_name)}[/] {job.job_status} on {on} (id {job.id})")
        if wait:
            with progress_bar(f"printing on {target.printer_name}", quiet=as_json) as progress:
                job = client.wait_print(job.id, progress=progress)
            if not as_json:
                out.print(f"job [bold]{escape(job.job_name)}[/] {job.job_status}")
    if as_json:
        print_json(job.model_dump())
    if wait and job.job_status != "completed":
        raise typer.Exit(EXIT_NOT_PRINTED)
