"""Reports as CSV and Excel (XLSX) files: batch screenings and single analyses.

The batch reports read the combined result of :func:`makeready.workflows.screening.combine`, the
same whether the parts were screened locally or by a server. :func:`part_xlsx` reads one 3D Spark
API ``analysis_report``.
Money in EUR, lead time in days, CO2 in kg CO2e per part.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from makeready import __version__

if TYPE_CHECKING:
    from makeready.workflows.screening import BatchResult, ChainVerdict, ScreenedPart

__all__ = [
    "RANKING_COLUMNS",
    "XLSX_MEDIA_TYPE",
    "batch_csv",
    "batch_rows",
    "batch_xlsx",
    "part_xlsx",
    "processes_of",
]

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _default_nesting() -> str:
    from makeready.catalog import Catalog

    return Catalog.default().config.nesting


#: Columns of the ranking (CSV and the first sheet), before one cost column per process.
RANKING_COLUMNS = (
    "rank",
    "part",
    "file",
    "status",
    "material",
    "process",
    "lot_size",
    "nesting",
    "best_additive",
    "additive_machine",
    "additive_eur_per_part",
    "additive_eur_per_lot",
    "additive_leadtime_days",
    "additive_kg_co2e_per_part",
    "conventional",
    "conventional_eur_per_part",
    "saving_eur_per_part",
    "saving_percent",
    "warnings",
    "error",
)
_TITLES = {
    "rank": "Rank",
    "part": "Part",
    "file": "File",
    "status": "Status",
    "material": "Material",
    "process": "Process asked",
    "lot_size": "Lot size",
    "nesting": "Additive builds",
    "best_additive": "Best additive",
    "additive_machine": "Machine",
    "additive_eur_per_part": "Additive EUR/part",
    "additive_eur_per_lot": "Additive EUR/lot",
    "additive_leadtime_days": "Lead time (days)",
    "additive_kg_co2e_per_part": "kg CO2e/part",
    "conventional": "Conventional",
    "conventional_eur_per_part": "Conventional EUR/part",
    "saving_eur_per_part": "Saving EUR/part",
    "saving_percent": "Saving %",
    "warnings": "Warnings",
    "error": "Error",
}


def processes_of(result: BatchResult) -> list[str]:
    """Every process acronym seen in the batch's chains, in order of first appearance."""
    seen: dict[str, None] = {}
    for part in result.parts:
        for chain in _chains(part):
            if chain.process:
                seen[chain.process] = None
    return list(seen)


def _chains(part: ScreenedPart) -> tuple[ChainVerdict, ...]:
    return part.screening.chains if part.screening is not None else ()


def _cheapest_by_process(part: ScreenedPart) -> dict[str, float]:
    best: dict[str, float] = {}
    for chain in _chains(part):
        cost = chain.cost_per_part
        if chain.usable and cost is not None and chain.process and cost < best.get(chain.process, math.inf):
            best[chain.process] = float(cost)
    return best


def batch_rows(
    result: BatchResult, options: Mapping[str, Any] | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """The ranking as columns and rows: one row per part, best suited first.

    Each row holds :data:`RANKING_COLUMNS` and ``eur_per_part_<process>`` for every process
    in the batch (the cheapest feasible chain of that process; None when none is feasible).
    ``options`` are the batch's analysis options (material, process, lot size, nesting) where
    a part has none of its own.
    """
    processes = processes_of(result)
    columns = [*RANKING_COLUMNS, *(f"eur_per_part_{p}" for p in processes)]
    default = options or {}
    rows = []
    for rank, part in result.ranked():
        screening = part.screening
        add = screening.best_additive if screening else None
        conv = screening.best_conventional if screening else None
        chosen = {**default, **(part.options or {})}
        saving = screening.saving_per_part if screening else None
        conv_cost = conv.cost_per_part if conv else None
        error = part.error or {}
        row: dict[str, Any] = {
            "rank": rank,
            "part": part.name,
            "file": part.basename,
            "status": part.status,
            "material": chosen.get("mat_name"),
            "process": chosen.get("prc_acronym"),
            "lot_size": chosen.get("lot_size"),
            "nesting": chosen.get("nst_style") or _default_nesting(),
            "best_additive": add.process if add else ("not feasible" if part.status == "done" else None),
            "additive_machine": add.machine if add else None,
            "additive_eur_per_part": add.cost_per_part if add else None,
            "additive_eur_per_lot": add.cost_per_lot if add else None,
            "additive_leadtime_days": add.leadtime_days if add else None,
            "additive_kg_co2e_per_part": add.co2_kg_per_part if add else None,
            "conventional": conv.process if conv else None,
            "conventional_eur_per_part": conv_cost,
            "saving_eur_per_part": saving,
            "saving_percent": 100.0 * saving / conv_cost if saving is not None and conv_cost else None,
            "warnings": "; ".join(screening.warnings if screening else ()) or None,
            "error": f"{error.get('code', '')}: {error.get('message', '')}" if error else None,
        }
        by_process = _cheapest_by_process(part)
        row.update({f"eur_per_part_{p}": by_process.get(p) for p in processes})
        rows.append(row)
    return columns, rows


def batch_csv(result: BatchResult, options: Mapping[str, Any] | None = None) -> str:
    """The ranking as CSV text (comma-separated, a header line, numbers unformatted)."""
    columns, rows = batch_rows(result, options)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _title(column: str) -> str:
    return _TITLES.get(column) or f"{column.removeprefix('eur_per_part_').upper()} EUR/part"


def _workbook(title: str) -> tuple[io.BytesIO, Any, tuple[Any, Any, Any, Any]]:
    """An in-memory workbook and its formats: header, money, number, percent."""
    buffer = io.BytesIO()
    import xlsxwriter  # 0.1 s to import: only when a workbook is written, not at every start

    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True})
    money = book.add_format({"num_format": "#,##0.00"})
    number = book.add_format({"num_format": "0.00"})
    percent = book.add_format({"num_format": "0.0"})
    book.set_properties({"title": title, "comments": f"makeready {__version__}"})
    return buffer, book, (bold, money, number, percent)


def _facts_sheet(book: Any, name: str, facts: list[tuple[str, Any]], bold: Any, money: Any) -> None:
    sheet = book.add_worksheet(name)
    sheet.set_column(0, 0, 44)
    sheet.set_column(1, 1, 30)
    for r, (key, value) in enumerate(facts):
        sheet.write(r, 0, key, bold)
        if value is not None:
            sheet.write(r, 1, value, money if isinstance(value, float) else None)


def batch_xlsx(
    result: BatchResult, options: Mapping[str, Any] | None = None, *, title: str = "makeready batch screening"
) -> bytes:
    """The report as an Excel workbook: Ranking, Chains, Summary and Refused sheets.

    Ranking: one row per part, best suited to additive manufacturing first, savings
    coloured; Chains: every process chain of every part; Summary: counts, totals and the
    options; Refused: files that could not be read, with their error codes.
    """
    buffer, book, (bold, money, number, percent) = _workbook(title)

    columns, rows = batch_rows(result, options)
    sheet = book.add_worksheet("Ranking")
    formats = {c: money for c in columns if "eur" in c}
    formats.update({"additive_kg_co2e_per_part": number, "saving_percent": percent})
    for col, name in enumerate(columns):
        sheet.write(0, col, _title(name), bold)
        width = 28 if name in ("part", "file", "additive_machine", "error") else 13
        sheet.set_column(col, col, width, formats.get(name))
    for r, row in enumerate(rows, 1):
        for col, name in enumerate(columns):
            value = row[name]
            if value is not None:
                sheet.write(r, col, value)
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
    if rows:
        saving = columns.index("saving_eur_per_part")
        sheet.conditional_format(
            1, saving, len(rows), saving,
            {"type": "3_color_scale", "min_color": "#F8696B", "mid_type": "num", "mid_value": 0,
             "mid_color": "#FFFFFF", "max_color": "#63BE7B"},
        )  # fmt: skip

    chains = book.add_worksheet("Chains")
    chain_titles = ("Part", "Chain id", "Process", "Machine", "Feasible", "Why not", "EUR/part", "EUR/lot",
                    "Lead time (days)", "kg CO2e/part")  # fmt: skip
    for col, name in enumerate(chain_titles):
        chains.write(0, col, name, bold)
    chains.set_column(0, 0, 28)
    chains.set_column(1, 1, 34)
    chains.set_column(3, 3, 24)
    chains.set_column(5, 5, 40)
    chains.set_column(6, 7, 12, money)
    chains.set_column(9, 9, 12, number)
    r = 1
    for _, part in result.ranked():
        for chain in _chains(part):
            values = (part.name, chain.chain_id, chain.process, chain.machine, chain.feasible,
                      chain.reason, chain.cost_per_part, chain.cost_per_lot, chain.leadtime_days,
                      chain.co2_kg_per_part)  # fmt: skip
            for col, value in enumerate(values):
                if value is not None:
                    chains.write(r, col, value)
            r += 1
    chains.freeze_panes(1, 1)
    chains.autofilter(0, 0, max(r - 1, 1), len(chain_titles) - 1)

    facts: list[tuple[str, Any]] = [
        ("Report", title),
        ("Made", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("makeready", __version__),
    ]
    facts += [(f"Option {k}", v) for k, v in (options or {}).items()]
    facts += [(f"Parts {k}", v) for k, v in asdict(result.counts).items()]
    totals = result.totals
    facts += [
        ("Best additive routes, EUR per lot (sum)", totals.additive_cost_per_lot),
        ("Best additive routes, kg CO2e for one of each part", totals.additive_co2_kg_per_part),
        ("Saving against conventional, EUR for one of each part", totals.saving_per_part),
    ]
    _facts_sheet(book, "Summary", facts, bold, money)

    refused = book.add_worksheet("Refused")
    for col, name in enumerate(("File", "Code", "Message")):
        refused.write(0, col, name, bold)
    refused.set_column(0, 0, 36)
    refused.set_column(1, 1, 24)
    refused.set_column(2, 2, 80)
    for r, item in enumerate(result.refused, 1):
        refused.write_row(r, 0, [item.basename, item.code, item.message])
    book.close()
    return buffer.getvalue()


#: The Chains sheet of :func:`part_xlsx`: title, path into a process chain, number format.
_PART_CHAIN_COLUMNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("Chain", ("name",), ""),
    ("Process", ("prc",), ""),
    ("Technology", ("tech",), ""),
    ("Machine", ("machine_name",), ""),
    ("Feasible", ("process_chain_stat", "feasible"), ""),
    ("Why not", ("infeasible_reason",), ""),
    ("EUR/part", ("cost", "cost_pp"), "money"),
    ("EUR/lot", ("cost", "cost_pl"), "money"),
    ("EUR/job", ("cost", "cost_pj"), "money"),
    ("Pre-process EUR/part", ("cost_bd", "cost_bd_pp_pre"), "money"),
    ("Machine EUR/part", ("cost_bd", "cost_bd_pp_main"), "money"),
    ("Material EUR/part", ("cost_bd", "cost_bd_pp_mat"), "money"),
    ("Post-process EUR/part", ("cost_bd", "cost_bd_pp_post"), "money"),
    ("Market price EUR/part", ("market_price", "market_price_pp", "calculated"), "money"),
    ("Lead time (days)", ("leadtime",), "number"),
    ("kg CO2e/part", ("co2", "co2_pp"), "number"),
    ("Machine time/part (h:mm)", ("mac_t", "mac_t_pp"), ""),
    ("Labour/part (h:mm)", ("labor", "labor_pp"), ""),
    ("Parts per job", ("parts_pj",), ""),
    ("Layers", ("n_lyr",), ""),
    ("Build height (mm)", ("bld_h",), "number"),
    ("Support volume (cm3)", ("sup_vol_real",), "number"),
    ("Fits the machine", ("fits_mac",), ""),
    ("Wall thickness", ("feasibility", "thickness", "status"), ""),
    ("Gap size", ("feasibility", "gap_size", "status"), ""),
    ("Size", ("feasibility", "size", "status"), ""),
    ("Process chain id", ("process_chain_id",), ""),
)


def _dig(record: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(record, dict):
            return None
        record = record.get(key)
    if isinstance(record, float) and not math.isfinite(record):
        return None
    return record if isinstance(record, str | int | float | bool) or record is None else str(record)


def part_xlsx(report: dict[str, Any]) -> bytes:
    """One part's analysis as an Excel workbook: Part, Chains, Break-even and Mesh checks sheets.

    Parameters
    ----------
    report : dict
        3D Spark API's ``analysis_report`` (mm, mm³, EUR, days, kg CO2e).

    """
    name = str(report.get("name") or report.get("basename") or "part")
    buffer, book, (bold, money, number, _) = _workbook(f"makeready analysis of {name}")
    formats = {"money": money, "number": number, "": None}
    chains = report.get("process_chains") or {}
    primary = chains.get(report.get("primary_process_chain_id") or "", {})
    facts: list[tuple[str, Any]] = [
        ("Part", name),
        ("File", report.get("basename")),
        ("Part id", report.get("part_id")),
        ("Made", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("makeready", __version__),
        ("Lot size", report.get("lot_size")),
        ("Additive builds (nst_style)", primary.get("nst_style")),
        ("Bounding box x (mm)", report.get("bb_x")),
        ("Bounding box y (mm)", report.get("bb_y")),
        ("Bounding box z (mm)", report.get("bb_z")),
        ("Volume (cm3)", report.get("part_vol")),
        ("Surface area (cm2)", report.get("part_srf_area")),
        ("Thinnest wall (mm)", report.get("t_min")),
        ("Narrowest gap (mm)", report.get("gap_min")),
        ("Chosen chain", primary.get("name")),
        ("Chosen chain, EUR/part", _dig(primary, ("cost", "cost_pp"))),
        ("Conventional route", report.get("current_technology")),
        ("Conventional, EUR/lot", _dig(report, ("current_cost", "calculated"))),
        ("Saving, EUR/lot", _dig(report, ("cost_saved",))),
        ("Lead time saved (days)", _dig(report, ("leadtime_saved",))),
    ]
    _facts_sheet(book, "Part", facts, bold, money)

    sheet = book.add_worksheet("Chains")
    for col, (title, _, style) in enumerate(_PART_CHAIN_COLUMNS):
        sheet.write(0, col, title, bold)
        sheet.set_column(col, col, 28 if col in (0, 3, 5, 26) else 13, formats[style])
    ordered = sorted(
        chains.values(),
        key=lambda c: (_dig(c, ("cost", "cost_pp")) is None, _dig(c, ("cost", "cost_pp")) or 0),
    )
    for r, chain in enumerate(ordered, 1):
        for col, (_, path, _) in enumerate(_PART_CHAIN_COLUMNS):
            value = _dig(chain, path)
            if value is not None:
                sheet.write(r, col, value)
    sheet.freeze_panes(1, 1)
    sheet.autofilter(0, 0, max(len(ordered), 1), len(_PART_CHAIN_COLUMNS) - 1)

    even = primary.get("break_even") or {}
    sheet = book.add_worksheet("Break-even")
    titles = ("Lot size", f"{primary.get('name', 'additive')} EUR/part",
              f"{even.get('conventional_technology', 'conventional')} EUR/part")  # fmt: skip
    for col, title in enumerate(titles):
        sheet.write(0, col, title, bold)
        sheet.set_column(col, col, 26, money if col else None)
    rows = zip(
        even.get("lot_sizes") or [],
        even.get("cost_pp") or [],
        even.get("cost_pp_conventional") or [],
        strict=False,
    )
    for r, row in enumerate(rows, 1):
        sheet.write_row(r, 0, row)
    sheet.write(0, 4, "Break-even lot", bold)
    sheet.write(0, 5, even.get("break_even_lot"))

    sheet = book.add_worksheet("Mesh checks")
    sheet.set_column(0, 0, 30)
    sheet.set_column(1, 2, 14)
    sheet.set_column(3, 3, 60)
    for col, title in enumerate(("Check", "Uploaded file", "Analysed mesh", "What to do")):
        sheet.write(0, col, title, bold)
    checks = report.get("mesh_checks") or {}
    before, after = checks.get("upload_file") or {}, checks.get("analysis_mesh") or {}
    for r, key in enumerate(sorted(set(before) | set(after)), 1):
        passed = [_dig(block, (key, "check_passed")) for block in (before, after)]
        advice = _dig(before, (key, "suggested_user_action")) or _dig(after, (key, "suggested_user_action"))
        sheet.write_row(
            r, 0, [key, *("-" if p is None else ("pass" if p else "FAIL") for p in passed), advice]
        )
    actions = checks.get("actions_performed_on_initial_mesh") or {}
    r = len(set(before) | set(after)) + 2
    sheet.write(r, 0, "Repair action", bold)
    sheet.write(r, 1, "Performed", bold)
    for i, (key, value) in enumerate(sorted(actions.items()), r + 1):
        done = _dig(value, ("check_passed",))
        sheet.write_row(i, 0, [key, "-" if done is None else ("yes" if done else "no")])
    book.close()
    return buffer.getvalue()
