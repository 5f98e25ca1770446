"""Batch screening as JSON: makeready's batch endpoint, the CLI's ``--json`` and the stored chains.

Wire names are the 3D Spark API's where it has them (``process_chain_id``, ``prc_acronym``,
``cost_pp``, ``cost_pl``, ``leadtime``, ``co2_pp``, ``parts_pj``…). Each writer has a reader,
so the CLI can combine the parts a server screened with its own, and the service reads back
the chain summaries it stored with each part.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from makeready.workflows.batch_files import Refusal
from makeready.workflows.screening import (
    BatchResult,
    ChainSummary,
    ChainVerdict,
    PartScreening,
    ScreenedPart,
)

__all__ = [
    "batch_json",
    "chains_from_json",
    "chains_json",
    "refusal_from_json",
    "refusal_json",
    "screened_part_from_json",
    "screened_part_json",
    "verdict_json",
]

JSON = dict[str, Any]


def verdict_json(verdict: ChainVerdict) -> JSON:
    """A chain as a batch line shows it."""
    return {
        "process_chain_id": verdict.chain_id,
        "prc_acronym": verdict.process,
        "machine": verdict.machine,
        "cost_pp": verdict.cost_per_part,
        "cost_pl": verdict.cost_per_lot,
        "leadtime": verdict.leadtime_days,
        "co2_pp": verdict.co2_kg_per_part,
        "feasible": verdict.feasible,
        "reason": verdict.reason,
    }


def _verdict(chain_id: str, data: Mapping[str, Any]) -> ChainVerdict:
    return ChainVerdict(
        chain_id=chain_id,
        process=str(data.get("prc_acronym") or ""),
        machine=data.get("machine"),
        cost_per_part=data.get("cost_pp"),
        cost_per_lot=data.get("cost_pl"),
        leadtime_days=data.get("leadtime"),
        co2_kg_per_part=data.get("co2_pp"),
        feasible=bool(data.get("feasible")),
        reason=data.get("reason"),
    )


def chains_json(summaries: tuple[ChainSummary, ...]) -> dict[str, JSON]:
    """Chain id → the summary, as the service stores it with a part (EUR, h, days, kg)."""
    return {
        s.chain_id: {
            "machine": s.verdict.machine,
            "process_time": s.machine_h_per_job,
            "cost_pp": s.verdict.cost_per_part,
            "cost_pl": s.verdict.cost_per_lot,
            "prc_acronym": s.verdict.process,
            "tech": s.tech,
            "parts_pj": s.parts_per_job,
            "n_jobs": s.jobs,
            "feasible": s.verdict.feasible,
            "reason": s.verdict.reason,
            "leadtime": s.verdict.leadtime_days,
            "co2_pp": s.verdict.co2_kg_per_part,
            "nst_style": s.nesting,
            "warnings": list(s.warnings),
        }
        for s in summaries
    }


def _number(data: Mapping[str, Any], key: str, missing: int) -> Any:
    value = data.get(key)
    return missing if value is None else value


def chains_from_json(stored: Mapping[str, Mapping[str, Any]]) -> tuple[ChainSummary, ...]:
    """The summaries :func:`chains_json` wrote, in their order."""
    return tuple(
        ChainSummary(
            verdict=_verdict(chain_id, data),
            tech=str(data.get("tech") or ""),
            machine_h_per_job=data.get("process_time"),
            parts_per_job=int(_number(data, "parts_pj", 1)),  # 0 for an infeasible chain
            jobs=int(_number(data, "n_jobs", 1)),
            nesting=str(data.get("nst_style") or "alone"),
            warnings=tuple(data.get("warnings") or ()),
        )
        for chain_id, data in stored.items()
    )


def refusal_json(refusal: Refusal) -> JSON:
    """A file that could not be screened."""
    return {"basename": refusal.basename, "code": refusal.code, "message": refusal.message}


def refusal_from_json(data: Mapping[str, Any]) -> Refusal:
    """The refusal :func:`refusal_json` wrote."""
    return Refusal(str(data["basename"]), str(data["code"]), str(data["message"]))


def _screening_json(screening: PartScreening) -> JSON:
    add, conv = screening.best_additive, screening.best_conventional
    return {
        "best_additive": verdict_json(add) if add else None,
        "best_conventional": verdict_json(conv) if conv else None,
        "savings_pp": screening.saving_per_part,
        "additive_feasible": screening.additive_feasible,
        "warnings": list(screening.warnings),
        "chains": [verdict_json(v) for v in screening.chains],
    }


def screened_part_json(part: ScreenedPart) -> JSON:
    """A batch line: the part, its status, then its screening once done."""
    line: JSON = {
        "part_id": part.part_id,
        "name": part.name,
        "basename": part.basename,
        "status": part.status,
    }
    if part.options is not None:
        line["options"] = dict(part.options)
    if part.error is not None:
        line["error"] = dict(part.error)
    if part.screening is not None:
        line.update(_screening_json(part.screening))
    return line


def _optional_verdict(data: Mapping[str, Any] | None) -> ChainVerdict | None:
    return _verdict(str(data["process_chain_id"]), data) if data else None


def screened_part_from_json(
    data: Mapping[str, Any], options: Mapping[str, Any] | None = None
) -> ScreenedPart:
    """The line :func:`screened_part_json` wrote (a server's batch line); ``options`` replace its own."""
    screening = None
    if data.get("additive_feasible") is not None:  # screened (absent or null while pending)
        screening = PartScreening(
            best_additive=_optional_verdict(data.get("best_additive")),
            best_conventional=_optional_verdict(data.get("best_conventional")),
            warnings=tuple(data.get("warnings") or ()),
            chains=tuple(_verdict(str(c["process_chain_id"]), c) for c in data.get("chains") or ()),
        )
    return ScreenedPart(
        part_id=str(data["part_id"]),
        name=str(data["name"]),
        basename=str(data["basename"]),
        status=str(data["status"]),
        options=options if options is not None else data.get("options"),
        error=data.get("error"),
        screening=screening,
    )


def batch_json(result: BatchResult) -> JSON:
    """The combined result: status, progress (0..1), counts, ranking, totals, parts, refused."""
    counts = result.counts
    totals = result.totals
    return {
        "status": result.status,
        "progress": result.progress,
        "counts": {
            "parts": counts.parts,
            "done": counts.done,
            "error": counts.error,
            "pending": counts.pending,
            "refused": counts.refused,
        },
        "ranking": list(result.ranking),
        "totals": {
            "additive_cost_pl": totals.additive_cost_per_lot,
            "additive_co2_pp": totals.additive_co2_kg_per_part,
            "savings_pp": totals.saving_per_part,
        },
        "parts": [screened_part_json(p) for p in result.parts],
        "refused": [refusal_json(r) for r in result.refused],
    }
