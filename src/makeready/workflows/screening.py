"""Screening many parts: per part the best additive and conventional chains, and a ranking.

The same functions serve the service's batch endpoint and the CLI's local batch run, so a
batch reads the same whichever ran it. A quote is boiled down to :class:`ChainSummary` s
(:func:`chain_summaries`; the service stores them with each analysed part), a part's
summaries to its :class:`PartScreening` (:func:`screen`), and the screened parts of a batch
to a :class:`BatchResult` (:func:`combine`). Money in EUR, times in hours, lead times in
days, CO2 in kg CO2e. :mod:`makeready.rendering.screening` writes and reads them as JSON.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from makeready.errors import MakereadyError
from makeready.geometry.formats import load
from makeready.limits import DEFAULT_LIMITS, LoadLimits
from makeready.workflows.batch_files import BatchItem, Refusal
from makeready.workflows.quote import QuoteResult, run_analysis

__all__ = [
    "ADDITIVE",
    "CONVENTIONAL",
    "BatchCounts",
    "BatchResult",
    "BatchTotals",
    "ChainSummary",
    "ChainVerdict",
    "PartScreening",
    "ScreenedPart",
    "chain_summaries",
    "combine",
    "screen",
    "screen_item",
]

#: The catalog's technology names of the two kinds of chain screening compares.
ADDITIVE = "additive_manufacturing"
CONVENTIONAL = "conventional"

#: Status of a part whose analysis finished (with a result) and of one that failed.
DONE, ERROR = "done", "error"


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainVerdict:
    """What a screening shows of a chain: where, at what cost and time, and whether it can be made.

    ``cost_per_part`` and ``cost_per_lot`` in EUR, ``leadtime_days`` in days,
    ``co2_kg_per_part`` in kg CO2e; the numbers are None where the chain has none (it does not
    fit a machine). ``reason`` says why an infeasible chain is ("" when feasible).
    """

    chain_id: str
    process: str
    machine: str | None
    cost_per_part: float | None
    cost_per_lot: float | None
    leadtime_days: int | None
    co2_kg_per_part: float | None
    feasible: bool
    reason: str | None

    @property
    def usable(self) -> bool:
        """Feasible and priced: a route a buyer can take."""
        return self.feasible and self.cost_per_part is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainSummary:
    """One costed chain of a part in the numbers screening and calibration need.

    Beyond the :class:`ChainVerdict`: ``tech`` (:data:`ADDITIVE` or :data:`CONVENTIONAL`),
    ``machine_h_per_job`` (hours of machine time per job), ``parts_per_job``, ``jobs`` (for
    the lot), ``nesting`` (the build sharing rule) and ``warnings`` (codes of the analysis's
    warnings, e.g. ``units_suspect``; the same for every chain of a part).
    """

    verdict: ChainVerdict
    tech: str
    machine_h_per_job: float | None
    parts_per_job: int
    jobs: int
    nesting: str
    warnings: tuple[str, ...] = ()

    @property
    def chain_id(self) -> str:
        """The process chain's id (the 3D Spark API's ``process_chain_id``)."""
        return self.verdict.chain_id


def chain_summaries(result: QuoteResult) -> tuple[ChainSummary, ...]:
    """Every chain of a quote as a :class:`ChainSummary`, in the quote's order."""
    warnings = (result.units.code,) if result.units is not None else ()
    return tuple(
        ChainSummary(
            verdict=ChainVerdict(
                chain_id=c.chain_id,
                process=c.process.prc_acronym,
                machine=c.machine.mac_name,
                cost_per_part=_finite(c.estimate.cost_per_part),
                cost_per_lot=_finite(c.estimate.cost_per_lot),
                leadtime_days=c.estimate.leadtime_days,
                co2_kg_per_part=_finite(c.estimate.co2_kg_pp),
                feasible=c.feasible,
                reason=c.verdict,
            ),
            tech=c.process.tech,
            machine_h_per_job=_finite(c.estimate.machine_h_pj),
            parts_per_job=c.estimate.parts_per_job,
            jobs=c.estimate.jobs,
            nesting=c.estimate.nesting,
            warnings=warnings,
        )
        for c in result.chains
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class PartScreening:
    """One analysed part's screening.

    ``best_additive`` / ``best_conventional``: the cheapest feasible chain of each kind (None
    when none is); ``warnings``: the codes of the analysis's warnings (a part whose units look
    wrong is priced, and ranked after the parts without warnings); ``chains``: all, feasible
    and cheapest first.
    """

    best_additive: ChainVerdict | None
    best_conventional: ChainVerdict | None
    warnings: tuple[str, ...]
    chains: tuple[ChainVerdict, ...]

    @property
    def saving_per_part(self) -> float | None:
        """Conventional minus additive cost per part (EUR; positive when printing is cheaper)."""
        add, conv = self.best_additive, self.best_conventional
        if add is None or conv is None or add.cost_per_part is None or conv.cost_per_part is None:
            return None
        return conv.cost_per_part - add.cost_per_part

    @property
    def additive_feasible(self) -> bool:
        """Some additive chain can make the part."""
        return self.best_additive is not None


def _cheapest(summaries: Iterable[ChainSummary], tech: str) -> ChainVerdict | None:
    usable = [s.verdict for s in summaries if s.tech == tech and s.verdict.usable]
    # ties on cost go to the smaller chain id, so a screening never depends on storage order
    return min(usable, key=lambda v: (v.cost_per_part, v.chain_id), default=None)


def _cost_order(verdict: ChainVerdict) -> tuple[bool, float]:
    return (not verdict.feasible, verdict.cost_per_part if verdict.cost_per_part is not None else math.inf)


def screen(summaries: Sequence[ChainSummary]) -> PartScreening:
    """A part's screening from the summaries of its chains."""
    return PartScreening(
        best_additive=_cheapest(summaries, ADDITIVE),
        best_conventional=_cheapest(summaries, CONVENTIONAL),
        warnings=tuple(sorted({code for s in summaries for code in s.warnings})),
        chains=tuple(sorted((s.verdict for s in summaries), key=_cost_order)),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ScreenedPart:
    """One part of a batch: which it is, how far its analysis got, and its screening once done.

    ``status`` is ``done``, ``error`` or the analysis job's state while it runs; ``options``
    the analysis options it was screened with (material, process, lot size, nesting: where
    they differ per part); ``error`` the job's error (``code``, ``message``) when it failed.
    """

    part_id: str
    name: str
    basename: str
    status: str
    options: Mapping[str, Any] | None = None
    error: Mapping[str, Any] | None = None
    screening: PartScreening | None = None

    @property
    def finished(self) -> bool:
        """Done or failed: nothing more will come."""
        return self.status in (DONE, ERROR)


@dataclass(frozen=True, slots=True)
class BatchCounts:
    """How many parts a batch has, how many are done, failed or pending, and files refused."""

    parts: int
    done: int
    error: int
    pending: int
    refused: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchTotals:
    """Sums over each ranked part's best additive chain (EUR per lot, kg CO2e and EUR per part)."""

    additive_cost_per_lot: float
    additive_co2_kg_per_part: float
    saving_per_part: float


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchResult:
    """The combined result of screened parts: ``ranking`` holds part ids, best suited first."""

    parts: tuple[ScreenedPart, ...]
    refused: tuple[Refusal, ...]
    ranking: tuple[str, ...]
    totals: BatchTotals

    @property
    def counts(self) -> BatchCounts:
        """Parts per state."""
        done = sum(p.status == DONE for p in self.parts)
        error = sum(p.status == ERROR for p in self.parts)
        return BatchCounts(len(self.parts), done, error, len(self.parts) - done - error, len(self.refused))

    @property
    def progress(self) -> float:
        """Finished parts over all parts (0..1; 1 for a batch without parts)."""
        return sum(p.finished for p in self.parts) / len(self.parts) if self.parts else 1.0

    @property
    def status(self) -> str:
        """``done`` when every part finished, else ``running``."""
        return "done" if all(p.finished for p in self.parts) else "running"

    def ranked(self) -> list[tuple[int | None, ScreenedPart]]:
        """(rank, part): ranked parts first, then the parts that failed or are still pending."""
        by_id = {p.part_id: p for p in self.parts}
        ranked: list[tuple[int | None, ScreenedPart]] = [
            (i, by_id[pid]) for i, pid in enumerate(self.ranking, 1) if pid in by_id
        ]
        ranking = set(self.ranking)
        return ranked + [(None, p) for p in self.parts if p.part_id not in ranking]


def _suitability(part: ScreenedPart) -> tuple[int, float]:
    """Sort key: feasible additive first, then the larger saving against conventional.

    Parts with warnings (e.g. suspect units) come after the feasible parts without.
    """
    screening = part.screening
    if screening is None or not screening.additive_feasible:
        return (2, 0.0)
    saving = screening.saving_per_part
    return (1 if screening.warnings else 0, -saving if saving is not None else math.inf)


def combine(parts: Iterable[ScreenedPart], refused: Iterable[Refusal] = ()) -> BatchResult:
    """The combined result of screened parts and the files that could not be read."""
    parts = tuple(parts)
    ranked = sorted((p for p in parts if p.status == DONE), key=_suitability)
    screenings = [p.screening for p in ranked if p.screening is not None]
    best = [s.best_additive for s in screenings if s.best_additive is not None]
    savings = [s.saving_per_part for s in screenings]
    return BatchResult(
        parts=parts,
        refused=tuple(refused),
        ranking=tuple(p.part_id for p in ranked),
        totals=BatchTotals(
            additive_cost_per_lot=sum(b.cost_per_lot for b in best if b.cost_per_lot is not None),
            additive_co2_kg_per_part=sum(b.co2_kg_per_part for b in best if b.co2_kg_per_part is not None),
            saving_per_part=sum(s for s in savings if s is not None),
        ),
    )


def screen_item(item: BatchItem, limits: LoadLimits = DEFAULT_LIMITS) -> ScreenedPart | Refusal:
    """Read and analyse one part: its screened line, or its refusal.

    A top-level function of picklable arguments and results, so a process pool can run it.
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
        return Refusal(name, error.code, error.message)
    return ScreenedPart(
        part_id=item.key,
        name=Path(name).stem,
        basename=name,
        status=DONE,
        options=item.options,
        screening=screen(chain_summaries(result)),
    )
