"""``makeready quote``: cost, lead time, CO2 and feasibility of every process chain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from makeready.cli import complete
from makeready.cli.app import app
from makeready.cli.console import (
    FILE_HELP,
    NESTING_HELP,
    UNITS_HELP,
    Nesting,
    err,
    money,
    out,
    print_json,
    progress_bar,
    reports_errors,
)
from makeready.geometry.formats import load
from makeready.progress import Stage

if TYPE_CHECKING:  # the CLI starts fast: the workflows load when a command runs
    from makeready.costing.break_even import BreakEven
    from makeready.workflows.quote import QuoteResult


@app.command(name="quote", rich_help_panel="Parts")
@reports_errors
def quote_command(
    file: Annotated[Path, typer.Argument(help=FILE_HELP, show_default=False)],
    material: Annotated[
        str,
        typer.Option(
            "--material",
            "-m",
            help="Material of the primary chain (e.g. 316L, PA12, PLA).",
            autocompletion=complete.materials,
        ),
    ] = "316L",
    process: Annotated[
        str,
        typer.Option(
            "--process",
            "-p",
            help="Process of the primary chain (slm, ebm, sls, mjf, fdm, sla, dlp, bj).",
            autocompletion=complete.processes,
        ),
    ] = "slm",
    lot_size: Annotated[int, typer.Option(min=1, help="Parts ordered (pieces).")] = 1,
    units: Annotated[str | None, typer.Option(help=UNITS_HELP)] = None,
    nesting: Annotated[Nesting | None, typer.Option(help=NESTING_HELP, show_default=False)] = None,
    simple: Annotated[
        bool, typer.Option("--simplified", help="With --json: 3D Spark API's simplified result only.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print 3D Spark API's analysis_report.")] = False,
) -> None:
    """Cost (EUR), lead time (days), CO2 (kg CO2e) and feasibility of every process chain."""
    from makeready.rendering.spark import analysis_report, simplified
    from makeready.workflows.quote import run_analysis

    with progress_bar("quoting", quiet=as_json) as progress:
        progress(0.0, Stage.READING)
        part = load(file, units=units)
        result = run_analysis(
            part, material, process, lot_size, nesting=nesting.value if nesting else None, progress=progress
        )
    report = analysis_report(result)
    for warning in report["warnings"]:  # on stderr, so --json stays one document on stdout
        line = escape(f"[{warning['code']}] {warning['message']}")
        err.print(f"[yellow]warning[/] {line}", highlight=False)
    if as_json:
        print_json(simplified(report) if simple else report)
        return
    _print_quote(result, part.name, material, lot_size)


def _print_quote(result: QuoteResult, name: str, material: str, lot_size: int) -> None:
    title = (
        f"{escape(name)}: {lot_size} part(s), {escape(material)}, builds {result.primary.estimate.nesting}"
    )
    table = Table(title=title, title_justify="left")
    for column in ("chain", "machine", "EUR/part", "EUR/lot", "per job", "days", "kg CO2e/part", "ok"):
        table.add_column(column, justify="left" if column in ("chain", "machine", "ok") else "right")
    for chain in result.chains:
        e = chain.estimate
        ok = "[green]yes[/]" if chain.feasible else f"[red]{escape(_short_verdict(chain))}[/]"
        primary = " *" if chain is result.chains[0] else ""
        table.add_row(
            f"{chain.process.prc_acronym} | {escape(chain.material.mat_name)}{primary}",
            escape(chain.machine.mac_name),
            money(e.cost_per_part),
            money(e.cost_per_lot),
            f"{e.parts_per_job:,}",
            f"{e.leadtime_days}" if e.feasible else "—",
            money(e.co2_kg_pp),
            ok,
        )
    out.print(table)
    if result.baseline is not None:
        baseline = money(result.baseline.estimate.cost_per_lot)
        out.print(
            f"conventional baseline: {result.baseline.process.prc_acronym}, {baseline} EUR per lot; "
            f"saved by the primary chain (as uploaded): {money(result.cost_saved)} EUR"
        )
    if result.break_even is not None:
        # the cheapest conventional route at each lot (it may change with the lot)
        rival = " / ".join(dict.fromkeys(result.break_even.conventional_at))
        cheaper = _cheaper_lots(result.break_even.sweep)
        out.print(f"break-even against {rival}: the primary chain is cheaper {cheaper}")


def _cheaper_lots(sweep: BreakEven) -> str:
    """Where the additive route is the cheaper, in words, from the break-even sweep."""
    last = sweep.lots[-1]
    cheaper, start = sweep.cheaper[0], 1
    spans: list[tuple[int, int | None]] = []
    for crossing in sweep.crossings:
        if cheaper:
            spans.append((start, crossing - 1))
        cheaper, start = not cheaper, crossing
    if cheaper:
        spans.append((start, None))
    if not spans:
        return f"at no lot up to {last:,}"
    words = []
    for a, b in spans:
        if b is None:
            words.append(f"from {a:,}" if a > 1 else f"at every lot up to {last:,}")
        else:
            words.append(f"from {a:,} to {b:,}" if a > 1 else f"up to {b:,}")
    return " and ".join(words) + ("" if spans == [(1, None)] else " parts per lot")


_CHECK_WORDS = {"t_min_chk": "wall", "t_max_chk": "wall", "gap_min_chk": "gap", "size_min_chk": "size"}


def _short_verdict(chain: Any) -> str:
    """A table cell: why a chain is infeasible, e.g. ``wall 0.042<0.1`` (mm; the report has it all)."""
    if not chain.estimate.feasible:
        return "does not fit" if "fit" in chain.estimate.reason else chain.estimate.reason
    words = []
    for f in chain.feasibility.findings:
        if f.passed is not False:
            continue
        if f.value is None or f.limit is None:
            words.append("does not fit" if f.check == "fits_mac" else f.check)
            continue
        sign = "<" if f.check in ("t_min_chk", "gap_min_chk", "size_min_chk") else ">"
        words.append(f"{_CHECK_WORDS.get(f.check, 'size')} {f.value:.2g}{sign}{f.limit:g}")
    return ", ".join(words)
