"""``makeready batch``: screen a parts library locally or on a server, and write the reports."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from makeready.cli import complete
from makeready.cli.app import app
from makeready.cli.console import (
    NESTING_HELP,
    Nesting,
    err,
    money,
    out,
    print_json,
    progress_bar,
    reports_errors,
    server_errors,
)
from makeready.errors import MakereadyError
from makeready.rendering.reports import batch_csv, batch_xlsx

if TYPE_CHECKING:
    from makeready.workflows.batch_files import BatchItem, Refusal
    from makeready.workflows.screening import BatchResult, ScreenedPart


def _screen_locally(items: list[BatchItem], jobs: int, quiet: bool) -> list[ScreenedPart | Refusal]:
    """Screen items in a process pool (one analysis per core); outcomes in item order."""
    from makeready.workflows.screening import screen_item

    outcomes: dict[int, ScreenedPart | Refusal] = {}
    with (
        ProcessPoolExecutor(max_workers=min(jobs or os.cpu_count() or 1, len(items))) as pool,
        progress_bar(f"screening {len(items)} parts", quiet=quiet, total=len(items)) as progress,
    ):
        futures = {pool.submit(screen_item, item): i for i, item in enumerate(items)}
        for done, future in enumerate(as_completed(futures), 1):
            outcomes[futures[future]] = future.result()
            progress(done, items[futures[future]].basename)
    return [outcomes[i] for i in range(len(items))]


def _screen_on_server(
    items: list[BatchItem], url: str, user: str | None, password: str | None, quiet: bool
) -> tuple[list[ScreenedPart], list[Refusal]]:
    """Upload the items as batches (one per material, process and lot size) and wait for them."""
    from makeready.client import Client
    from makeready.rendering.screening import refusal_from_json, screened_part_from_json

    groups: dict[tuple[str, str, int, str | None], list[BatchItem]] = {}
    for item in items:
        key = (item.mat_name, item.prc_acronym, item.lot_size, item.nst_style)
        groups.setdefault(key, []).append(item)
    lines: list[ScreenedPart] = []
    refused: list[Refusal] = []
    with Client(url, username=user or "admin", password=password) as client:
        created = []
        with progress_bar(
            f"uploading {len(items)} parts to {url}", quiet=quiet, total=len(groups)
        ) as progress:
            for n, ((material, process, lot, nesting), members) in enumerate(groups.items(), 1):
                files = [(m.basename, m.read()) for m in members]
                batch = client.create_batch(
                    files, mat_name=material, prc_acronym=process, lot_size=lot, nst_style=nesting
                )
                created.append((batch.batch_id, members[0].options))
                refused += [refusal_from_json(r.model_dump()) for r in batch.refused]
                progress(n, f"{n}/{len(groups)}")
        with progress_bar(
            f"screening {len(items)} parts on {url}", quiet=quiet, total=len(created)
        ) as progress:
            for n, (batch_id, options) in enumerate(created):
                share = lambda fraction, stage, n=n: progress(n + fraction, stage)  # noqa: E731
                result = client.wait_batch(batch_id, progress=share)
                lines += [screened_part_from_json(p.model_dump(mode="json"), options) for p in result.parts]
    return lines, refused


def _print_batch(result: BatchResult, written: list[Path]) -> None:
    table = Table(
        title="parts ranked by suitability for additive manufacturing (AM) against conventional (conv.)",
        caption="EUR and kg CO2e per part; all chains and per-process costs in the reports",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title_justify="left",
    )
    table.add_column("#", justify="right")
    table.add_column("part", overflow="fold", min_width=14)
    for column in ("AM", "EUR", "conv.", "EUR", "saving", "CO2e", "days"):
        table.add_column(column, justify="left" if column in ("AM", "conv.") else "right")
    for number, (_, part) in enumerate(result.ranked(), 1):
        screening = part.screening
        if part.status != "done" or screening is None:
            table.add_row("—", escape(part.name), f"[red]{escape(part.status)}[/]", *[""] * 6)
            continue
        add, conv = screening.best_additive, screening.best_conventional
        saving = screening.saving_per_part
        colour = "green" if saving is not None and saving > 0 else "red"
        flags = "".join(f" [yellow]({escape(code)})[/]" for code in screening.warnings)
        table.add_row(
            str(number),
            escape(part.name) + flags,
            escape(add.process) if add else "[red]none[/]",
            money(add.cost_per_part) if add else "—",
            escape(conv.process) if conv else "—",
            money(conv.cost_per_part) if conv else "—",
            f"[{colour}]{money(saving)}[/]" if saving is not None else "—",
            f"{add.co2_kg_per_part:.2f}" if add and add.co2_kg_per_part is not None else "—",
            str(add.leadtime_days) if add else "—",
        )
    out.print(table)
    _print_refusals(result.refused)
    counts, totals = result.counts, result.totals
    screenings = [p.screening for p in result.parts if p.screening is not None]
    summary = Table(title="summary", title_justify="left", show_header=False)
    summary.add_column("figure")
    summary.add_column("value", justify="right")
    summary.add_row("parts analysed / failed / refused", f"{counts.done} / {counts.error} / {counts.refused}")
    feasible = sum(1 for s in screenings if s.additive_feasible)
    cheaper = sum(1 for s in screenings if (s.saving_per_part or 0) > 0)
    summary.add_row("printable (a feasible additive chain)", str(feasible))
    suspect = sum(1 for s in screenings if "units_suspect" in s.warnings)
    summary.add_row("size implausible in its units (units_suspect)", str(suspect))
    summary.add_row("cheaper printed than made conventionally", str(cheaper))
    summary.add_row("best additive routes, EUR per lot (sum)", money(totals.additive_cost_per_lot))
    summary.add_row(
        "best additive routes, kg CO2e (one of each part)", f"{totals.additive_co2_kg_per_part:,.2f}"
    )
    summary.add_row("saving against conventional, EUR (one of each part)", money(totals.saving_per_part))
    out.print(summary)
    for path in written:
        out.print(f"wrote {escape(str(path))}")


def _print_refusals(refused: tuple[Refusal, ...], shown: int = 10) -> None:
    """The first refusals one by one, then how many of each error code (all are in the reports)."""
    for refusal in refused[:shown]:
        name, message = escape(refusal.basename), escape(refusal.message)
        err.print(f"[yellow]refused[/] {name}: {refusal.code}: {message}", highlight=False)
    if len(refused) > shown:
        by_code: dict[str, int] = {}
        for refusal in refused:
            by_code[refusal.code] = by_code.get(refusal.code, 0) + 1
        counted = ", ".join(f"{code} {n}" for code, n in sorted(by_code.items(), key=lambda kv: -kv[1]))
        err.print(
            f"… {len(refused) - shown} more refused (all in the report's Refused sheet); by code: {counted}"
        )


@app.command(name="batch", rich_help_panel="Parts")
@reports_errors
def batch_command(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Part files, folders of them (searched recursively), zips of parts, or parts lists "
            "(.csv with a 'file' column and optional 'material', 'process', 'lot_size', 'nesting' per row).",
            show_default=False,
        ),
    ],
    material: Annotated[
        str,
        typer.Option(
            "--material",
            "-m",
            help="Material (mat_name) where a list gives none.",
            autocompletion=complete.materials,
        ),
    ] = "316L",
    process: Annotated[
        str,
        typer.Option(
            "--process",
            "-p",
            help="Process (prc_acronym) where a list gives none.",
            autocompletion=complete.processes,
        ),
    ] = "slm",
    lot_size: Annotated[int, typer.Option(min=1, help="Parts per lot (pieces) where a list gives none.")] = 1,
    nesting: Annotated[Nesting | None, typer.Option(help=NESTING_HELP, show_default=False)] = None,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Write the report to REPORT.csv and REPORT.xlsx (default makeready-batch in this folder)."
        ),
    ] = None,
    write_report: Annotated[
        bool, typer.Option("--report-files/--no-report-files", help="Write the CSV and XLSX reports.")
    ] = True,
    server: Annotated[
        str | None,
        typer.Option(
            envvar="MAKEREADY_URL", help="Screen on a makeready server (its workers) instead of locally."
        ),
    ] = None,
    user: Annotated[
        str | None, typer.Option(envvar="MAKEREADY_USER", help="Server user name (default admin).")
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(
            envvar="MAKEREADY_PASSWORD", help="Server password (or MAKEREADY_PASSWORD).", show_default=False
        ),
    ] = None,
    jobs: Annotated[int, typer.Option(min=0, help="Local worker processes (0: one per core).")] = 0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the combined result (the batch wire model) as JSON.")
    ] = False,
) -> None:
    """Screen a parts library: per part the best additive and conventional route, ranked, with reports.

    The ranking puts parts with a feasible additive chain first, the largest saving against
    the cheapest conventional route (milling, turning, casting, moulding) first among them.
    The CSV lists cost per part per process (EUR); the XLSX adds every chain, totals and
    refused files.
    """
    from makeready.rendering.screening import batch_json
    from makeready.workflows.batch_files import Refusal, batch_items
    from makeready.workflows.screening import ScreenedPart, combine

    style = nesting.value if nesting else None
    items, refused = batch_items([str(p) for p in paths], material, process, lot_size, nst_style=style)
    if not items and not refused:
        raise MakereadyError("file.not_found", f"no part files in {', '.join(map(str, paths))}")
    if server:
        with server_errors(server):
            lines, more = _screen_on_server(items, server, user, password, as_json) if items else ([], [])
        result = combine(lines, refused + more)
    else:
        outcomes = _screen_locally(items, jobs, as_json) if items else []
        result = combine(
            [o for o in outcomes if isinstance(o, ScreenedPart)],
            refused + [o for o in outcomes if isinstance(o, Refusal)],
        )
    written: list[Path] = []
    if write_report:
        stem = report or Path("makeready-batch")
        stem.parent.mkdir(parents=True, exist_ok=True)
        written = [stem.with_name(stem.name + ".csv"), stem.with_name(stem.name + ".xlsx")]
        written[0].write_text(batch_csv(result), encoding="utf-8")
        written[1].write_bytes(batch_xlsx(result))
    if as_json:
        print_json({**batch_json(result), "reports": [str(p) for p in written]})
        return
    _print_batch(result, written)
