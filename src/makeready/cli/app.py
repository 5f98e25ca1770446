"""The one Typer application every ``makeready`` command hangs on."""

from __future__ import annotations

from typing import Annotated

import typer

from makeready import __version__
from makeready.cli.console import out

app = typer.Typer(
    name="makeready",
    help=(
        "Manufacturing analysis and 3D-print preparation for STL, OBJ, 3MF, PLY, OFF and STEP parts.\n\n"
        "Lengths are mm, volumes mm³, areas mm², money EUR, time h or days, CO2 kg CO2e unless an "
        "option says otherwise. Exit codes: 0 ok, 2 bad input (the error code is printed), 1 internal error."
    ),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        out.print(f"makeready {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Read parts, check them, cost them and make them ready for the printer."""
