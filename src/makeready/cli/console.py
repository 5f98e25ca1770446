"""What every command shares: consoles, exit codes, errors, JSON output and progress bars.

Exit codes (docs/cli.md): 0 success, 2 unusable input — a bad file, an unknown name, a
wrong option; the error code and message are printed (as ``{"error": …}`` with ``--json``)
— and 1 an internal error, a bug to report with its traceback.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from makeready.errors import ERROR_CODES, MakereadyError
from makeready.jsonsafe import json_ready

out = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2

UNITS_HELP = "Unit of the file's coordinates for STL/OBJ/PLY/OFF (mm, cm, m, inch, foot, micron); default mm."
JSON_HELP = "Print machine-readable JSON (the wire models) instead of tables."
FILE_HELP = "Part file: STL, OBJ, 3MF, PLY, OFF, STEP or a zip of them."
NESTING_HELP = (
    "How additive builds are shared: alone (the lot fills builds of its own) or shared (bureau mode: "
    "each part pays its share of a full build); default: the costing configuration's."
)


class Nesting(StrEnum):
    """Nesting styles of additive builds (the 3D Spark API's ``nst_style``)."""

    alone = "alone"
    shared = "shared"


PROCESS_HELP = "Process: slm, ebm, fdm, sla, dlp (supported) or sls, mjf, bj (self-supporting)."

P = ParamSpec("P")
R = TypeVar("R")


def fail(error: MakereadyError, as_json: bool = False) -> typer.Exit:
    """Print a bad-input error (code and message) and return the exit (code 2) to raise."""
    if as_json:
        print(json.dumps({"error": error.to_dict()}))
    else:
        err.print(f"[bold red]error[/] {escape(f'[{error.code}]')} {escape(error.message)}", highlight=False)
    return typer.Exit(EXIT_BAD_INPUT)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn a :class:`MakereadyError` escaping ``command`` into its message and exit code 2.

    The command's ``as_json`` argument, if any, chooses between text and a JSON error.
    """

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except MakereadyError as error:
            raise fail(error, bool(kwargs.get("as_json", False))) from None

    return run


@contextmanager
def server_errors(url: str) -> Iterator[None]:
    """Turn the SDK's failures into MakereadyError: the server's own code, or server.unreachable."""
    import httpx

    from makeready.client import ServerError, TaskFailedError, WaitTimeoutError

    try:
        yield
    except ServerError as error:
        code = error.code if error.code in ERROR_CODES else "request.invalid"
        raise MakereadyError(code, f"{url}: {error.message}") from None
    except TaskFailedError as error:
        code = error.code if error.code in ERROR_CODES else "job.failed"
        raise MakereadyError(code, f"{url}: {error}") from None
    except WaitTimeoutError as error:
        raise MakereadyError("job.timeout", f"{url}: {error}") from None
    except httpx.TransportError as error:
        raise MakereadyError("server.unreachable", f"{url}: {type(error).__name__}: {error}") from None


def print_json(value: Any) -> None:
    """Print JSON (NumPy numbers, NaN and infinities made JSON-safe) to stdout."""
    sys.stdout.write(json.dumps(json_ready(value), indent=2) + "\n")


def status_mark(ok: bool | None) -> str:
    """A coloured yes/no (— when unknown)."""
    return "—" if ok is None else ("[green]yes[/]" if ok else "[red]no[/]")


def money(value: float | None) -> str:
    """EUR with two decimals (— when missing or NaN)."""
    return "—" if value is None or value != value else f"{value:,.2f}"


def mm(value: float | None) -> str:
    """A length in mm with three decimals (— when missing)."""
    return "—" if value is None else f"{value:,.3f}"


#: ``progress(fraction, stage)`` — the library's progress callbacks (:mod:`makeready.progress`);
#: the bar also takes a plain label (a batch item's file name) as its stage.
StageCallback = Callable[[float, str], None]


@contextmanager
def progress_bar(label: str, *, quiet: bool = False, total: float = 1.0) -> Iterator[StageCallback]:
    """A progress bar on stderr driven by ``progress(fraction, stage)`` calls.

    The same callbacks the job runners pass to the library (``run_analysis``, tray
    ``prepare``) drive it, so a long step shows its stage and share done; ``quiet`` (with
    ``--json``) or a stderr that is not a terminal shows nothing. ``total`` > 1 counts items
    (``fraction`` is then the count done).
    """
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[stage]}"),
        console=err,
        transient=True,
        disable=quiet,
    )
    with bar:
        task = bar.add_task(label, total=total, stage="")

        shown = [""]

        def report(fraction: float, stage: str) -> None:
            bar.update(task, completed=min(max(fraction, 0.0), total), stage=stage)
            if stage != shown[0]:
                # The timed refresh (10 Hz) skips stages shorter than its period; a new
                # stage is drawn at once so every step is seen, however fast.
                shown[0] = stage
                bar.refresh()

        yield report
