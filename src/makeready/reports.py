"""Batch screening reports as CSV and Excel (XLSX) files.

Both read the combined result of :func:`makeready.screening.combine` (the same dict the
service's batch endpoint answers with), so a report looks the same whether the parts were
screened locally or by a server. Money in EUR, lead time in days, CO2 in kg CO2e per part.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, datetime
from typing import Any

import xlsxwriter

from makeready import __version__

__all__ = ["RANKING_COLUMNS", "batch_csv", "batch_rows", "batch_xlsx", "processes_of"]

#: Columns of the ranking (CSV and the first sheet), before one cost column per process.
RANKING_COLUMNS = (
    "rank",
    "part",
    "file",
    "status",
    "material",
    "process",
    "lot_size",
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
    "error": "Error",
}


def processes_of(result: dict[str, Any]) -> list[str]:
    """Every process acronym seen in the batch's chains, in order of first appearance."""
    seen: dict[str, None] = {}
    for line in result["parts"]:
        for chain in line.get("chains") or []:
            if chain.get("prc_acronym"):
                seen[chain["prc_acronym"]] = None
    return list(seen)


def _cheapest_by_process(line: dict[str, Any]) -> dict[str, float]:
    best: dict[str, float] = {}
    for chain in line.get("chains") or []:
        cost, process = chain.get("cost_pp"), chain.get("prc_acronym")
        if chain.get("feasible") and cost is not None and process and cost < best.get(process, math.inf):
            best[process] = float(cost)
    return best


def _ordered(result: dict[str, Any]) -> list[tuple[int | None, dict[str, Any]]]:
    """(rank, line) with ranked parts first, then parts that failed or are still pending."""
    lines = {line["part_id"]: line for line in result["parts"]}
    ranked: list[tuple[int | None, dict[str, Any]]] = [
        (i, lines[pid]) for i, pid in enumerate(result["ranking"], 1) if pid in lines
    ]
    ranking = set(result["ranking"])
    return ranked + [(None, line) for pid, line in lines.items() if pid not in ranking]


def batch_rows(result: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """The ranking as columns and rows: one row per part, best suited first.

    Each row holds :data:`RANKING_COLUMNS` and ``eur_per_part_<process>`` for every process
    in the batch (the cheapest feasible chain of that process; None when none is feasible).
    """
    processes = processes_of(result)
    columns = [*RANKING_COLUMNS, *(f"eur_per_part_{p}" for p in processes)]
    default = result.get("options") or {}
    rows = []
    for rank, line in _ordered(result):
        add, conv = line.get("best_additive") or {}, line.get("best_conventional") or {}
        options = {**default, **(line.get("options") or {})}
        saving = line.get("savings_pp")
        conv_cost = conv.get("cost_pp")
        error = line.get("error") or {}
        row: dict[str, Any] = {
            "rank": rank,
            "part": line.get("name"),
            "file": line.get("basename"),
            "status": line.get("status"),
            "material": options.get("mat_name"),
            "process": options.get("prc_acronym"),
            "lot_size": options.get("lot_size"),
            "best_additive": add.get("prc_acronym")
            or ("not feasible" if line.get("status") == "done" else None),
            "additive_machine": add.get("machine"),
            "additive_eur_per_part": add.get("cost_pp"),
            "additive_eur_per_lot": add.get("cost_pl"),
            "additive_leadtime_days": add.get("leadtime"),
            "additive_kg_co2e_per_part": add.get("co2_pp"),
            "conventional": conv.get("prc_acronym"),
            "conventional_eur_per_part": conv_cost,
            "saving_eur_per_part": saving,
            "saving_percent": 100.0 * saving / conv_cost if saving is not None and conv_cost else None,
            "error": f"{error.get('code', '')}: {error.get('message', '')}" if error else None,
        }
        by_process = _cheapest_by_process(line)
        row.update({f"eur_per_part_{p}": by_process.get(p) for p in processes})
        rows.append(row)
    return columns, rows


def batch_csv(result: dict[str, Any]) -> str:
    """The ranking as CSV text (comma-separated, a header line, numbers unformatted)."""
    columns, rows = batch_rows(result)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: ("" if v is None else v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def _title(column: str) -> str:
    return _TITLES.get(column) or f"{column.removeprefix('eur_per_part_').upper()} EUR/part"


def batch_xlsx(result: dict[str, Any], *, title: str = "makeready batch screening") -> bytes:
    """The report as an Excel workbook: Ranking, Chains, Summary and Refused sheets.

    Ranking: one row per part, best suited to additive manufacturing first, savings
    coloured; Chains: every process chain of every part; Summary: counts, totals and the
    options; Refused: files that could not be read, with their error codes.
    """
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "nan_inf_to_errors": True})
    bold = book.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True})
    money = book.add_format({"num_format": "#,##0.00"})
    number = book.add_format({"num_format": "0.00"})
    percent = book.add_format({"num_format": "0.0"})
    book.set_properties({"title": title, "comments": f"makeready {__version__}"})

    columns, rows = batch_rows(result)
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
    chain_columns = ("part", "process_chain_id", "prc_acronym", "machine", "feasible", "reason",
                     "cost_pp", "cost_pl", "leadtime", "co2_pp")  # fmt: skip
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
    for _, line in _ordered(result):
        for chain in line.get("chains") or []:
            for col, name in enumerate(chain_columns):
                value = line.get("name") if name == "part" else chain.get(name)
                if value is not None:
                    chains.write(r, col, value)
            r += 1
    chains.freeze_panes(1, 1)
    chains.autofilter(0, 0, max(r - 1, 1), len(chain_columns) - 1)

    summary = book.add_worksheet("Summary")
    summary.set_column(0, 0, 44)
    summary.set_column(1, 1, 30)
    facts: list[tuple[str, Any]] = [
        ("Report", title),
        ("Made", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("makeready", __version__),
    ]
    facts += [(f"Option {k}", v) for k, v in (result.get("options") or {}).items()]
    facts += [(f"Parts {k}", v) for k, v in result["counts"].items()]
    totals = result["totals"]
    facts += [
        ("Best additive routes, EUR per lot (sum)", totals.get("additive_cost_pl")),
        ("Best additive routes, kg CO2e for one of each part", totals.get("additive_co2_pp")),
        ("Saving against conventional, EUR for one of each part", totals.get("savings_pp")),
    ]
    for r, (key, value) in enumerate(facts):
        summary.write(r, 0, key, bold)
        summary.write(r, 1, value, money if isinstance(value, float) else None)

    refused = book.add_worksheet("Refused")
    for col, name in enumerate(("File", "Code", "Message")):
        refused.write(0, col, name, bold)
    refused.set_column(0, 0, 36)
    refused.set_column(1, 1, 24)
    refused.set_column(2, 2, 80)
    for r, item in enumerate(result.get("refused") or [], 1):
        refused.write_row(r, 0, [item.get("basename"), item.get("code"), item.get("message")])
    book.close()
    return buffer.getvalue()
