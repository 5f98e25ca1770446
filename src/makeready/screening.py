"""Screening many parts: per part the best additive and conventional chains, and a ranking.

The same functions serve the service's batch endpoint and the CLI's local batch run, so a
batch reads the same whichever ran it. They work on *chain summaries* — small dicts per
process chain, :func:`chain_summaries` — which the service stores with each analysed part.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from makeready.errors import MakereadyError
from makeready.geometry.formats import load
from makeready.pipeline import AnalysisResult, run_analysis

__all__ = ["PART_SUFFIXES", "chain_summaries", "combine", "part_files", "part_line", "screen_file"]

#: File name endings read as parts when screening folders and archives.
PART_SUFFIXES = frozenset({".stl", ".obj", ".3mf", ".ply", ".off", ".step", ".stp"})

_VIEW_KEYS = ("prc_acronym", "machine", "cost_pp", "cost_pl", "leadtime", "co2_pp", "feasible", "reason")


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def chain_summaries(result: AnalysisResult) -> dict[str, dict[str, Any]]:
    """Process chain id → the numbers screening and calibration need (JSON-ready, EUR, h, kg)."""
    return {
        c.chain_id: {
            "machine": c.machine.mac_name,
            "process_time": _finite(c.estimate.machine_h_pj),
            "cost_pp": _finite(c.estimate.cost_pp),
            "cost_pl": _finite(c.estimate.cost_pl),
            "prc_acronym": c.process.prc_acronym,
            "tech": c.process.tech,
            "parts_pj": c.estimate.parts_pj,
            "n_jobs": c.estimate.n_jobs,
            "feasible": bool(c.estimate.feasible),
            "reason": c.estimate.reason,
            "leadtime": c.estimate.leadtime_days,
            "co2_pp": _finite(c.estimate.co2_kg_pp),
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
    positive when printing is cheaper); ``chains``: all, feasible and cheapest first.
    """
    additive = _cheapest(chains, "additive_manufacturing")
    conventional = _cheapest(chains, "conventional")
    return {
        "best_additive": additive,
        "best_conventional": conventional,
        "savings_pp": (conventional["cost_pp"] - additive["cost_pp"]) if additive and conventional else None,
        "additive_feasible": additive is not None,
        "chains": sorted(
            (_view(cid, c) for cid, c in chains.items()),
            key=lambda c: (not c["feasible"], c["cost_pp"] if c["cost_pp"] is not None else math.inf),
        ),
    }


def _suitability(line: dict[str, Any]) -> tuple[int, float]:
    """Sort key: feasible additive first, then the larger saving against conventional."""
    if not line.get("additive_feasible"):
        return (1, 0.0)
    saving = line.get("savings_pp")
    return (0, -saving if saving is not None else math.inf)


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


def screen_file(path: str, mat_name: str, prc_acronym: str, lot_size: int) -> dict[str, Any]:
    """Read and analyse one part file: its screening line, or its refusal (``code``, ``message``).

    A top-level function of plain arguments, so a process pool can run it.
    """
    name = Path(path).name
    try:
        result = run_analysis(load(path), mat_name, prc_acronym, lot_size, name=Path(path).stem)
    except MakereadyError as error:
        return {"basename": name, "code": error.code, "message": error.message}
    chains = chain_summaries(result)
    return {"part_id": path, "name": Path(path).stem, "basename": name, "status": "done", **part_line(chains)}


def part_files(paths: list[str]) -> list[str]:
    """Files to screen: each file given, and every part file under each folder given (sorted)."""
    found: list[str] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found += sorted(
                str(p) for p in path.rglob("*") if p.is_file() and p.suffix.lower() in PART_SUFFIXES
            )
        else:
            found.append(str(path))
    return found
