"""The ``makeready`` command line: one Typer application (see docs/cli.md).

Commands by panel — Parts: ``info``, ``analyze``, ``repair``, ``thickness``, ``orient``,
``supports``, ``quote``, ``batch``; Printing: ``slice``, ``tray``, ``printers``, ``print``;
Reference: ``catalog``; Service: ``serve``, ``worker``, ``users``, ``clients``, ``config``.

Exit codes: 0 success, 2 unusable input (the error code and message are printed), 1 an
internal error (a bug: please report it with the traceback).
"""

from __future__ import annotations

import sys

# Importing the command modules registers their commands on the app, in the order of --help.
# isort: off
from makeready.cli import parts, costs, batch, printing, printers, catalog, admin  # noqa: F401

# isort: on
from makeready.cli.app import app
from makeready.cli.console import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, err
from makeready.cli.parts import part_summary

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERNAL", "EXIT_OK", "app", "main", "part_summary"]


def main() -> None:
    """Console-script entry point: run the app and map unexpected failures to exit code 1."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        err.print("[yellow]interrupted[/]")
        sys.exit(130)
    except Exception as exc:  # a bug, not bad input: say so and keep the exit code distinct
        err.print(f"[bold red]internal error[/] {type(exc).__name__}: {exc}")
        err.print("please report it with the command and this traceback:", highlight=False)
        err.print_exception()
        sys.exit(EXIT_INTERNAL)
