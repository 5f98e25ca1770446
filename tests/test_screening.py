"""Batch screening: a part's best routes, the ranking of parts, and the JSON that carries them.

The screening of a real quote is checked against the quote's own chains (the cheapest feasible
chain of each kind, found here independently), the ranking against its rule (feasible
additive first, larger saving first, parts with warnings after the rest), and every JSON
writer against its reader (the service stores chain summaries and the CLI reads a server's
lines back).
"""

from __future__ import annotations

import json
import math

import pytest

from makeready.rendering.screening import (
    batch_json,
    chains_from_json,
    chains_json,
    screened_part_from_json,
    screened_part_json,
)
from makeready.workflows.batch_files import Refusal
from makeready.workflows.quote import run_analysis
from makeready.workflows.screening import (
    ADDITIVE,
    CONVENTIONAL,
    ChainVerdict,
    PartScreening,
    ScreenedPart,
    chain_summaries,
    combine,
    screen,
)

from .conftest import box_part


@pytest.fixture(scope="module")
def cube_quote():
    return run_analysis(box_part((20.0, 20.0, 20.0)), "PA12", "sls", 25, name="cube")


def test_a_quote_screens_to_its_cheapest_feasible_chain_of_each_kind(cube_quote):
    screening = screen(chain_summaries(cube_quote))
    for tech, best in ((ADDITIVE, screening.best_additive), (CONVENTIONAL, screening.best_conventional)):
        feasible = [c for c in cube_quote.chains if c.process.tech == tech and c.feasible]
        assert feasible, tech
        cheapest = min(feasible, key=lambda c: c.estimate.cost_per_part)
        assert best is not None
        assert best.chain_id == cheapest.chain_id
        assert best.cost_per_part == pytest.approx(cheapest.estimate.cost_per_part)
        assert best.machine == cheapest.machine.mac_name
    assert screening.saving_per_part == pytest.approx(
        screening.best_conventional.cost_per_part - screening.best_additive.cost_per_part
    )
    # every chain listed, the feasible ones first and cheapest first among them
    assert len(screening.chains) == len(cube_quote.chains)
    feasible_costs = [c.cost_per_part for c in screening.chains if c.feasible]
    assert feasible_costs == sorted(feasible_costs)
    assert [c.feasible for c in screening.chains] == sorted(
        (c.feasible for c in screening.chains), reverse=True
    )
    assert screening.warnings == ()


def test_stored_chain_summaries_read_back_equal(cube_quote):
    summaries = chain_summaries(cube_quote)
    stored = json.loads(json.dumps(chains_json(summaries), allow_nan=False))  # as the database keeps it
    assert chains_from_json(stored) == summaries
    primary = summaries[0]
    assert stored[primary.chain_id]["parts_pj"] == cube_quote.chains[0].estimate.parts_per_job
    assert stored[primary.chain_id]["cost_pp"] == pytest.approx(cube_quote.chains[0].estimate.cost_per_part)


def test_rows_stored_before_nesting_and_warnings_existed_still_read():
    old = {"c1": {"machine": "EOS P 396", "process_time": 10.0, "cost_pp": 5.0, "cost_pl": 125.0,
                  "prc_acronym": "sls", "tech": ADDITIVE, "parts_pj": 25, "n_jobs": 1, "feasible": True,
                  "reason": "", "leadtime": 4, "co2_pp": 0.3}}  # fmt: skip
    (summary,) = chains_from_json(old)
    assert (summary.nesting, summary.warnings, summary.parts_per_job) == ("alone", (), 25)
    assert screen((summary,)).best_additive == summary.verdict


def _verdict(chain_id: str, cost: float | None, feasible: bool = True) -> ChainVerdict:
    return ChainVerdict(
        chain_id=chain_id, process=chain_id.split("-")[0], machine="m", cost_per_part=cost,
        cost_per_lot=None if cost is None else 10 * cost, leadtime_days=5, co2_kg_per_part=1.0,
        feasible=feasible, reason="" if feasible else "too big",
    )  # fmt: skip


def _part(part_id: str, additive: float | None, conventional: float | None, warnings=()) -> ScreenedPart:
    add = _verdict(f"sls-{part_id}", additive) if additive is not None else None
    conv = _verdict(f"milling-{part_id}", conventional) if conventional is not None else None
    screening = PartScreening(
        best_additive=add,
        best_conventional=conv,
        warnings=tuple(warnings),
        chains=tuple(v for v in (add, conv) if v is not None),
    )
    return ScreenedPart(
        part_id=part_id, name=part_id, basename=f"{part_id}.stl", status="done", screening=screening
    )


def test_ranking_puts_printable_parts_first_largest_saving_first_and_warned_parts_after():
    parts = [
        _part("small_saving", 10.0, 15.0),  # saves 5
        _part("not_printable", None, 8.0),
        _part("big_saving", 10.0, 30.0),  # saves 20
        _part("warned", 1.0, 100.0, warnings=("units_suspect",)),  # saves 99 but its size is doubtful
        _part("dearer_printed", 20.0, 12.0),  # saves -8
        _part("no_conventional", 7.0, None),  # printable, nothing to compare with
        ScreenedPart(part_id="pending", name="pending", basename="p.stl", status="running"),
        ScreenedPart(part_id="failed", name="failed", basename="f.stl", status="error",
                     error={"code": "job.crashed", "message": "x"}),
    ]  # fmt: skip
    result = combine(parts, [Refusal("bad.stl", "stl.truncated", "short")])
    assert result.ranking == ("big_saving", "small_saving", "dearer_printed", "no_conventional", "warned",
                              "not_printable")  # fmt: skip
    assert [p.part_id for _, p in result.ranked()][-2:] == ["pending", "failed"]
    counts = result.counts
    assert (counts.parts, counts.done, counts.error, counts.pending, counts.refused) == (8, 6, 1, 1, 1)
    assert result.status == "running"
    assert result.progress == pytest.approx(7 / 8)
    # totals over the ranked parts' best additive chains: cost per lot 10x cost per part
    assert result.totals.additive_cost_per_lot == pytest.approx(10 * (10 + 10 + 1 + 20 + 7))
    assert result.totals.saving_per_part == pytest.approx(5 + 20 + 99 - 8)
    assert combine(parts[:6]).status == "done"
    assert combine([]).progress == 1.0


def test_batch_lines_read_back_equal():
    parts = [
        _part("a", 10.0, 15.0, warnings=("units_suspect",)),
        _part("b", None, 8.0),
        ScreenedPart(part_id="c", name="c", basename="c.stl", status="queued"),
        ScreenedPart(
            part_id="d", name="d", basename="d.stl", status="error", error={"code": "x", "message": "y"}
        ),
    ]
    for part in parts:
        line = json.loads(json.dumps(screened_part_json(part), allow_nan=False))
        assert screened_part_from_json(line) == part
    wire = batch_json(combine(parts))
    assert wire["counts"] == {"parts": 4, "done": 2, "error": 1, "pending": 1, "refused": 0}
    assert wire["ranking"] == ["a", "b"]
    assert wire["parts"][0]["savings_pp"] == pytest.approx(5.0)
    assert wire["parts"][1]["best_additive"] is None
    assert wire["parts"][1]["additive_feasible"] is False
    assert "best_additive" not in wire["parts"][2]  # pending: no screening yet
    assert not math.isnan(wire["totals"]["savings_pp"])
