"""Screening many parts: per part the best additive and conventional chains, and a ranking.

The same functions serve the service's batch endpoint and the CLI's local batch run, so a
batch reads the same whichever ran it. They work on *chain summaries* — small dicts per
process chain, :func:`chain_summaries` — which the service stores with each analysed part.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import Any

from makeready.errors import MakereadyError
from makeready.geometry.formats import load, sniff
from makeready.geometry.formats.archive import SafeZip
from makeready.geometry.formats.threemf import is_3mf_package
from makeready.limits import DEFAULT_LIMITS, LoadLimits
from makeready.workflows.quote import QuoteResult, run_analysis

__all__ = [
    "PART_SUFFIXES",
    "BatchItem",
    "archive_members",
    "batch_items",
    "chain_summaries",
    "combine",
    "part_line",
    "screen_item",
]

#: File name endings read as parts when screening folders and archives.
PART_SUFFIXES = frozenset({".stl", ".obj", ".3mf", ".ply", ".off", ".step", ".stp"})

_VIEW_KEYS = ("prc_acronym", "machine", "cost_pp", "cost_pl", "leadtime", "co2_pp", "feasible", "reason")


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def chain_summaries(result: QuoteResult) -> dict[str, dict[str, Any]]:
    """Process chain id → the numbers screening and calibration need (JSON-ready, EUR, h, kg).

    ``warnings`` holds the codes of the report's warnings (e.g. ``units_suspect``).
    """
    warnings = [result.units.code] if result.units is not None else []
    return {
        c.chain_id: {
            "machine": c.machine.mac_name,
            "process_time": _finite(c.estimate.machine_h_pj),
            "cost_pp": _finite(c.estimate.cost_per_part),
            "cost_pl": _finite(c.estimate.cost_per_lot),
            "prc_acronym": c.process.prc_acronym,
            "tech": c.process.tech,
            "parts_pj": c.estimate.parts_per_job,
            "n_jobs": c.estimate.jobs,
            "feasible": c.feasible,
            "reason": c.verdict,
            "leadtime": c.estimate.leadtime_days,
            "co2_pp": _finite(c.estimate.co2_kg_pp),
            "nst_style": c.estimate.nesting,
            "warnings": warnings,
        }
        for c in result.chains
    }


def _view(chain_id: str, chain: dict[str, Any]) -> dict[str, Any]:
    return {"process_chain_id": chain_id, **{k: chain.get(k) for k in _VIEW_KEYS}}


def _cheapest(chains: dict[str, Any], tech: str) -> dict[str, Any] | None:
    usable = [
        (c["cost_pp"], cid)
        for cid, c in chains.items()
        if c.get("tech") == tech and c.get("feasible") and c.get("cost_pp") is not None
    ]
    if not usable:
        return None
    _, best = min(usable)
    return _view(best, chains[best])


def part_line(chains: dict[str, Any]) -> dict[str, Any]:
    """One analysed part's screening line.

    ``best_additive`` / ``best_conventional``: the cheapest feasible chain of each kind (None
    when none is feasible); ``savings_pp``: conventional minus additive cost per part (EUR,
    positive when printing is cheaper); ``warnings``: the codes of the analysis's warnings (a
    part whose units look wrong is priced, and ranked after the parts without warnings);
    ``chains``: all, feasible and cheapest first.
    """
    additive = _cheapest(chains, "additive_manufacturing")
    conventional = _cheapest(chains, "conventional")
    return {
        "best_additive": additive,
        "best_conventional": conventional,
        "savings_pp": (conventional["cost_pp"] - additive["cost_pp"]) if additive and conventional else None,
        "additive_feasible": additive is not None,
        "warnings": sorted({code for c in chains.values() for code in c.get("warnings") or ()}),
        "chains": sorted(
            (_view(cid, c) for cid, c in chains.items()),
            key=lambda c: (not c["feasible"], c["cost_pp"] if c["cost_pp"] is not None else math.inf),
        ),
    }


def _suitability(line: dict[str, Any]) -> tuple[int, float]:
    """Sort key: feasible additive first, then the larger saving against conventional.

    Parts with warnings (e.g. suspect units) come after the feasible parts without.
    """
    if not line.get("additive_feasible"):
        return (2, 0.0)
    saving = line.get("savings_pp")
    return (1 if line.get("warnings") else 0, -saving if saving is not None else math.inf)


def combine(lines: list[dict[str, Any]], refused: list[dict[str, Any]]) -> dict[str, Any]:
    """The combined result of screened parts.

    Parameters
    ----------
    lines : list of dict
        One per part: ``part_id``, ``status`` (done, error, or anything else while pending)
        and, when done, the keys of :func:`part_line`.
    refused : list of dict
        Files that could not be read (``basename``, ``code``, ``message``).

    Returns
    -------
    dict
        ``status``, ``progress`` (0..1), ``counts``, ``ranking`` (part ids, most suited to
        additive manufacturing first), ``totals`` (EUR per lot, kg CO2 per part, EUR saved
        per part, over each part's best additive chain), ``parts`` and ``refused``.

    """
    counts = {"parts": len(lines), "done": 0, "error": 0, "pending": 0, "refused": len(refused)}
    for line in lines:
        counts[line["status"] if line["status"] in ("done", "error") else "pending"] += 1
    finished = counts["done"] + counts["error"]
    ranked = sorted((ln for ln in lines if ln["status"] == "done"), key=_suitability)
    best = [ln["best_additive"] for ln in ranked if ln.get("best_additive")]
    return {
        "status": "done" if finished == len(lines) else "running",
        "progress": finished / len(lines) if lines else 1.0,
        "counts": counts,
        "ranking": [ln["part_id"] for ln in ranked],
        "totals": {
            "additive_cost_pl": sum(c["cost_pl"] for c in best if c.get("cost_pl") is not None),
            "additive_co2_pp": sum(c["co2_pp"] for c in best if c.get("co2_pp") is not None),
            "savings_pp": sum(ln["savings_pp"] for ln in ranked if ln.get("savings_pp") is not None),
        },
        "parts": lines,
        "refused": refused,
    }


@dataclass(frozen=True)
class BatchItem:
    """One part to screen and the options it is screened with.

    ``path`` is the file on disk; ``member`` the part file inside it when ``path`` is a zip
    of parts. ``mat_name``, ``prc_acronym`` and ``lot_size`` choose the primary chain;
    ``nst_style`` the nesting of additive builds (None: the costing configuration's).
    """

    path: str
    member: str | None
    mat_name: str
    prc_acronym: str
    lot_size: int
    nst_style: str | None = None

    @property
    def options(self) -> dict[str, Any]:
        """The analysis options, as a part stores them."""
        options: dict[str, Any] = {
            "mat_name": self.mat_name,
            "prc_acronym": self.prc_acronym,
            "lot_size": self.lot_size,
        }
        if self.nst_style is not None:
            options["nst_style"] = self.nst_style
        return options

    @property
    def basename(self) -> str:
        """The part file's own name."""
        return PurePosixPath(self.member).name if self.member else Path(self.path).name

    @property
    def key(self) -> str:
        """A unique id of the part within the batch: its path, and the zip member if any."""
        return f"{self.path}!{self.member}" if self.member else self.path

    def read(self, limits: LoadLimits = DEFAULT_LIMITS) -> bytes:
        """The part file's bytes."""
        if self.member is None:
            return Path(self.path).read_bytes()
        return SafeZip(Path(self.path).read_bytes(), limits).read(self.member)


def archive_members(name: str, data: bytes, limits: LoadLimits) -> list[str] | None:
    """The part files inside ``data`` when it is a zip of parts (not a 3MF); None for a part file.

    Raises
    ------
    MakereadyError
        ``zip.*`` for damaged or hostile archives, ``zip.no_part`` for one without part files.

    """
    if sniff(data, name) != "zip":
        return None
    archive = SafeZip(data, limits)
    if is_3mf_package(archive):  # a 3MF is a zip too, but one part
        return None
    inside = [n for n in archive.names() if PurePosixPath(n).suffix.lower() in PART_SUFFIXES]
    if not inside:
        raise MakereadyError("zip.no_part", f"{name} holds no part file ({', '.join(sorted(PART_SUFFIXES))})")
    return inside


#: Column names a parts list (CSV) may use for each option, first the canonical one.
_CSV_COLUMNS = {
    "file": ("file", "path", "filename"),
    "mat_name": ("mat_name", "material"),
    "prc_acronym": ("prc_acronym", "process"),
    "lot_size": ("lot_size", "lot", "quantity"),
    "nst_style": ("nst_style", "nesting"),
}


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise MakereadyError("batch.invalid_list", f"{path.name} is not UTF-8 text: {error}") from None
    try:  # spreadsheets export ',' or ';' (or tabs) depending on the locale
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], ",;\t")
    except csv.Error:
        dialect = csv.excel  # one column: nothing to sniff
    return list(csv.DictReader(io.StringIO(text, newline=""), dialect=dialect))


def _lot_size(value: str, where: str) -> int:
    try:
        lot = int(value)
    except ValueError:
        lot = 0
    if lot < 1:
        raise MakereadyError("batch.invalid_list", f"{where}: lot size {value!r} is not a whole number >= 1")
    return lot


def _csv_items(path: Path, default: BatchItem) -> list[BatchItem]:
    """Items of a parts list: a ``file`` column (relative to the list) and optional options."""
    rows = _read_rows(path)
    columns = {name.strip().lower(): name for name in (rows[0].keys() if rows else []) if name}
    chosen = {
        key: next((columns[c] for c in names if c in columns), None) for key, names in _CSV_COLUMNS.items()
    }
    if chosen["file"] is None:
        found = ", ".join(columns) or "none"
        raise MakereadyError("batch.invalid_list", f"{path.name} has no 'file' column (columns: {found})")
    items = []
    for number, row in enumerate(rows, 2):  # line 1 is the header
        where = f"{path.name} line {number}"
        values = {key: (row.get(column) or "").strip() for key, column in chosen.items() if column}
        if not values["file"]:
            raise MakereadyError("batch.invalid_list", f"{where}: no file named")
        changes: dict[str, Any] = {
            k: v for k, v in values.items() if v and k in ("mat_name", "prc_acronym", "nst_style")
        }
        if values.get("lot_size"):
            changes["lot_size"] = _lot_size(values["lot_size"], where)
        target = Path(values["file"])
        items.append(
            replace(default, path=str(target if target.is_absolute() else path.parent / target), **changes)
        )
    return items


def batch_items(
    paths: list[str],
    mat_name: str,
    prc_acronym: str,
    lot_size: int,
    limits: LoadLimits = DEFAULT_LIMITS,
    nst_style: str | None = None,
) -> tuple[list[BatchItem], list[dict[str, Any]]]:
    """What to screen: part files, folders of them (recursively), zips of them and parts lists.

    A ``.csv`` is a parts list (columns ``file`` and optionally ``material``, ``process``,
    ``lot_size``, ``nesting``, per row; relative paths are read from the list's folder). Zips inside
    folders are opened too. Options missing from a row are the ones given here.

    Returns
    -------
    items, refused
        The parts in order, and the files that cannot be screened (``basename``, ``code``,
        ``message``: missing files, damaged zips).

    Raises
    ------
    MakereadyError
        ``file.not_found`` when a path given does not exist, ``batch.invalid_list`` for a
        parts list that cannot be read.

    """
    default = BatchItem("", None, mat_name, prc_acronym, lot_size, nst_style)
    candidates: list[BatchItem] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file())
            candidates += [
                replace(default, path=str(p)) for p in found if p.suffix.lower() in (*PART_SUFFIXES, ".zip")
            ]
        elif path.suffix.lower() == ".csv" and path.is_file():
            candidates += _csv_items(path, default)
        elif path.exists():
            candidates.append(replace(default, path=str(path)))
        else:
            raise MakereadyError("file.not_found", f"no such file or folder: {given}")
    items: list[BatchItem] = []
    refused: list[dict[str, Any]] = []
    for item in candidates:
        try:
            data = Path(item.path).read_bytes()
            members = archive_members(item.basename, data, limits)
        except OSError as error:
            refused.append({"basename": item.basename, "code": "file.not_found", "message": str(error)})
            continue
        except MakereadyError as error:
            refused.append({"basename": item.basename, "code": error.code, "message": error.message})
            continue
        items += [item] if members is None else [replace(item, member=m) for m in members]
    return items, refused


def screen_item(item: BatchItem, limits: LoadLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Read and analyse one part: its screening line, or its refusal (``code``, ``message``).

    A top-level function of picklable arguments, so a process pool can run it.
    """
    name = item.basename
    try:
        part = load(item.read(limits), filename=name, limits=limits)
        result = run_analysis(
            part,
            item.mat_name,
            item.prc_acronym,
            item.lot_size,
            name=Path(name).stem,
            nesting=item.nst_style,
        )
    except MakereadyError as error:
        return {"basename": name, "code": error.code, "message": error.message}
    options = item.options
    line = {
        "part_id": item.key,
        "name": Path(name).stem,
        "basename": name,
        "status": "done",
        "options": options,
    }
    return {**line, **part_line(chain_summaries(result))}
