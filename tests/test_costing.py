"""Cost models against published worked examples, invariants, and the 3D Spark API report shape."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

from makeready import Body, Part, load, run_analysis
from makeready.catalog import Catalog, Override
from makeready.costing.calibration import Calibration, Feedback, wmape
from makeready.costing.chain import estimate_chain
from makeready.costing.features import PartFeatures
from makeready.costing.processes import moulding, pbf_polymer
from makeready.costing.rates import capital_recovery_factor, hourly_rate
from makeready.errors import MakereadyError
from makeready.rendering.spark import SIMPLIFIED_KEYS, analysis_report, simplified
from tests.conftest import DATA, ROOT
from tests.meshes import box, part, prism

CATALOG = Catalog.default()


def features(**changes):
    base = PartFeatures(
        volume=10_000.0, area=6_000.0, hull_volume=13_000.0, extents=np.array([30.0, 30.0, 60.0]),
        min_box=np.array([30.0, 30.0, 60.0]), support_volume=0.0, support_area=0.0, build_height=60.0,
        wall=5.0,
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def test_phasio_mjf_price_rule():
    """docs/cost-models.md 7.2 B: 210,000 mm3 shrink-wrap at EUR 0.18/cm3, set-up EUR 80 per job."""
    assert pbf_polymer.price_rule(210_000, 0.18, 80.0, 5) == pytest.approx(53.80)
    assert pbf_polymer.price_rule(210_000, 0.18, 80.0, 50) == pytest.approx(35.46)


def test_kazmer_moulding_unit_cost():
    """docs/cost-models.md 7.2 C: (0.152 + 0.082 + 0.347) / 0.98 = $0.593 per laptop bezel."""
    assert moulding.unit_cost(0.152, 0.082, 0.347, 0.98) == pytest.approx(0.593, abs=5e-4)
    # Cooling time grows with the square of the wall.
    thin = moulding.cooling_time(1.0, 0.1, 260, 80, 150)
    assert moulding.cooling_time(2.0, 0.1, 260, 80, 150) == pytest.approx(4 * thin)


def test_machine_rate_components():
    assert capital_recovery_factor(0.0, 5) == pytest.approx(0.2)
    assert capital_recovery_factor(0.05, 7) == pytest.approx(0.17282, rel=1e-4)
    m290 = CATALOG.machine("EOS M 290")
    rate = hourly_rate(m290, CATALOG.config)
    assert 25 < rate < 60  # LPBF single laser EUR 35-60/h (cost-models 5.2)
    assert (
        hourly_rate(dataclasses.replace(m290, mac_cost_ph=99.0, power_consumption=0.0), CATALOG.config)
        == 99.0
    )


@pytest.mark.parametrize(
    "process", ["slm", "ebm", "sls", "mjf", "fdm", "sla", "dlp", "bj", "milling", "moulding", "casting"]
)
def test_invariants(process):
    prc = CATALOG.process(process)
    material = CATALOG.materials_for(process)[0]
    machine = CATALOG.machines_for(process)[0]
    f = features(support_volume=800.0, support_area=400.0)
    one = estimate_chain(f, material, machine, prc, CATALOG.config, 1, layers=600)
    many = estimate_chain(f, material, machine, prc, CATALOG.config, 40, layers=600)
    for quote in (one, many):
        assert quote.feasible
        assert quote.cost_per_lot == pytest.approx(quote.cost_per_part * quote.lot_size)
        parts = (
            quote.main_process_cost + quote.material_cost + quote.pre_process_cost + quote.post_process_cost
        )
        assert parts == pytest.approx(quote.cost_per_part)
        assert quote.market_price_pp == pytest.approx(quote.cost_per_part * 1.5)  # overhead 0.3 + margin 0.2
        assert quote.leadtime_days >= 1
        assert quote.co2_kg_pp > 0
    assert many.cost_per_part < one.cost_per_part  # fixed costs spread over more parts
    shared = estimate_chain(f, material, machine, prc, CATALOG.config, 1, layers=600, nesting="shared")
    assert shared.cost_per_part <= one.cost_per_part + 1e-9


def test_cost_per_part_falls_as_jobs_fill():
    prc, material = CATALOG.process("slm"), CATALOG.material("316L")
    machine = CATALOG.machine("EOS M 290")
    f = features(extents=np.array([20.0, 20.0, 30.0]))
    capacity = estimate_chain(f, material, machine, prc, CATALOG.config, 1, layers=1000).parts_per_job
    costs = [
        estimate_chain(f, material, machine, prc, CATALOG.config, n, layers=1000).cost_per_part
        for n in (1, 4, 16, capacity)
    ]
    assert costs == sorted(costs, reverse=True)
    over = estimate_chain(f, material, machine, prc, CATALOG.config, capacity + 1, layers=1000)
    assert over.jobs == 2  # one part more needs a second job: the saw-tooth
    assert over.cost_per_part > costs[-1]


def test_too_big_for_every_machine_is_infeasible_with_the_reason():
    prc, material = CATALOG.process("slm"), CATALOG.material("316L")
    big = features(extents=np.array([300.0, 300.0, 400.0]))
    quote = estimate_chain(big, material, CATALOG.machine("EOS M 290"), prc, CATALOG.config, 1, layers=100)
    assert not quote.feasible
    assert "does not fit EOS M 290" in quote.reason
    assert math.isnan(quote.cost_per_part)


def test_catalog_overrides_by_restriction():
    overrides = [
        Override("costing_config", "", {"margin_default": 0.1}),
        Override("machine", "EOS M 290", {"mac_cost_ph": 80.0}, "organization", "acme"),
        Override("machine", "EOS M 290", {"mac_cost_ph": 70.0}, "owner", "ann"),
        Override(
            "material",
            "Inconel 718",
            {"prc_acronym": "slm", "mat_rho": 8.19, "raw_mat_cost": 120},
            "owner",
            "ann",
        ),
    ]
    ann = CATALOG.for_owner(overrides, owner="ann", organisation="acme")
    bob = CATALOG.for_owner(overrides, owner="bob", organisation="acme")
    eve = CATALOG.for_owner(overrides, owner="eve")
    assert ann.machine("EOS M 290").mac_cost_ph == 70.0  # owner beats organisation
    assert bob.machine("EOS M 290").mac_cost_ph == 80.0
    assert eve.machine("EOS M 290").mac_cost_ph is None
    assert ann.config.margin_default == bob.config.margin_default == 0.1
    assert ann.material("inconel 718").mat_rho == 8.19
    with pytest.raises(MakereadyError) as error:
        eve.material("Inconel 718")
    assert error.value.code == "catalog.not_found"
    with pytest.raises(MakereadyError) as bad:
        CATALOG.for_owner([Override("machine", "EOS M 290", {"warp_drive": 1})])
    assert bad.value.code == "catalog.invalid"
    with pytest.raises(MakereadyError):
        CATALOG.for_owner([Override("machine", "EOS M 290", {"mac_price": -5})])


def test_calibration_adjusts_the_owner_machine():
    calibration = Calibration("ann")
    calibration.record(
        Feedback("EOS M 290", 10.0, 12.0, 100.0, 110.0, setup_time=1.5, machine_hourly_rate=60.0)
    )
    calibration.record(Feedback("EOS M 290", 20.0, 24.0, 200.0, 190.0))
    assert calibration.time_factor("EOS M 290") == pytest.approx(1.2)
    accuracy = calibration.accuracy()
    assert accuracy["wmape_time_percent"] == pytest.approx(100 * 6 / 36)
    assert accuracy["wmape_time_calibrated_percent"] == pytest.approx(0.0)
    assert accuracy["wmape_cost_percent"] == pytest.approx(100 * 20 / 300)
    tuned = CATALOG.for_owner(calibration.overrides(), owner="ann").machine("EOS M 290")
    assert (tuned.time_factor, tuned.setup_time, tuned.mac_cost_ph) == (pytest.approx(1.2), 1.5, 60.0)
    assert wmape([], []) is None
    with pytest.raises(ValueError, match="positive"):
        calibration.record(Feedback("EOS M 290", 0.0, 1.0))


def _api_report_keys() -> tuple[set[str], set[str]]:
    """Top-level and chain keys of 3D Spark API's example report (from its field guide when present)."""
    top = {
        "assets", "basename", "bb_x", "bb_y", "bb_z", "cad_stat", "categories", "cost_saved", "created_date",
        "creator", "current_cost", "current_leadtime", "current_mat", "current_technology", "gap_min", "info",
        "is_assembly", "leadtime_saved", "loc_bat", "lot_size", "market_prices_api", "mesh_checks", "min_bb_x",
        "min_bb_y", "min_bb_z", "name", "parent_assembly", "part_id", "part_srf_area", "part_stat", "part_vol",
        "primary_process_chain_id", "process_chains", "t_min", "upload_file_units",
    }  # fmt: skip
    chain = {
        "bld_h", "break_even", "cost", "cost_bd", "cost_ini_pp", "costing_config_id", "feasibility", "fits_mac",
        "float_feasibilities", "has_scaling", "labor", "leadtime", "mac_id", "mac_t", "machine_bld_size_x",
        "machine_bld_size_y", "machine_bld_size_z", "machine_name", "margin_user_value", "market_price", "mat_id",
        "material_name", "n_lyr", "name", "nst_style", "opt_style", "or_bb_x", "or_bb_y", "or_bb_z", "part_mass",
        "parts_pj", "prc", "prc_acronym", "process_chain_id", "process_chain_stat", "process_steps",
        "rot_cost_euler", "rot_x_cost", "rot_y_cost", "rot_z_cost", "scale", "scaled_bounding_box",
        "scaled_minimal_bounding_box", "scaled_oriented_bounding_box", "scaled_part_volume", "sup_mass",
        "sup_srf_area", "sup_vol_full", "sup_vol_real", "tech",
    }  # fmt: skip
    for path in (ROOT.parent / "shared" / "seeds").glob("000*.txt"):
        text = path.read_text()
        body = text[text.index('"analysis_report": {') : text.index("The response contains all info")]
        found = set(re.findall(r'^ {8}"(\w+)":', body, re.M))
        assert found <= top, found - top  # our list is the API's
        chains = body[body.index('"process_chains": {') :]
        chain_found = set(re.findall(r'^ {16}"(\w+)":', chains, re.M))
        assert chain_found <= chain, chain_found - chain
    return top, chain


@pytest.fixture(scope="module")
def idler_report():
    return run_analysis(
        load(DATA / "idler_riser.STL", units="inch"), "316L", "slm", 3, part_id="p1", name="idler"
    )


def test_report_has_every_api_key(idler_report):
    top, chain_keys = _api_report_keys()
    report = analysis_report(idler_report)
    assert top <= set(report)
    for chain in report["process_chains"].values():
        assert chain_keys <= set(chain)
        assert set(chain["cost"]) == {"cost_pj", "cost_pl", "cost_pp"}
        assert set(chain["cost_bd"]) == {
            "cost_bd_pp_main",
            "cost_bd_pp_mat",
            "cost_bd_pp_post",
            "cost_bd_pp_pre",
        }
        assert set(chain["float_feasibilities"]) == {"economic", "leadtime", "overall", "technical"}
        assert re.fullmatch(r"\d{2,}:\d{2}", chain["labor"]["labor_pp"])
        assert re.fullmatch(r"\d{2,}:\d{2}", chain["mac_t"]["mac_t_pl"])
        assert "co2" in chain
    primary = report["process_chains"][report["primary_process_chain_id"]]
    assert primary["prc_acronym"] == "slm"
    assert primary["material_name"] == "316L"
    assert report["lot_size"] == 3
    assert report["part_id"] == "p1"
    assert set(simplified(report)) == set(SIMPLIFIED_KEYS)
    assert simplified(report)["cost_pp"] == primary["cost"]["cost_pp"]
    techs = {c["prc_acronym"] for c in report["process_chains"].values()}
    assert {"slm", "bj", "milling", "casting"} <= techs


def test_report_baseline_and_break_even_are_consistent(idler_report):
    report = analysis_report(idler_report)
    conventional = [
        c for c in idler_report.chains if c.process.tech == "conventional" and c.estimate.feasible
    ]
    cheapest = min(conventional, key=lambda c: c.estimate.cost_per_lot)
    assert report["current_technology"] == cheapest.process.prc_acronym
    assert report["current_cost"]["calculated"] == pytest.approx(cheapest.estimate.cost_per_lot)
    primary = report["process_chains"][report["primary_process_chain_id"]]
    assert report["cost_saved"] == pytest.approx(
        report["current_cost"]["calculated"] - primary["cost_ini_pp"] * 3
    )
    sweep = primary["break_even"]
    cheaper = [a < c for a, c in zip(sweep["cost_pp"], sweep["cost_pp_conventional"], strict=True)]
    assert cheaper == sweep["am_cheaper"]
    flips = [
        (low, high)
        for low, high, a, b in zip(
            sweep["lot_sizes"], sweep["lot_sizes"][1:], cheaper, cheaper[1:], strict=False
        )
        if a != b
    ]
    assert len(sweep["crossings"]) == len(flips)
    if not flips:
        assert sweep["break_even_lot"] is None
        return
    low, high = flips[0]
    lot = sweep["break_even_lot"]
    assert low < lot <= high  # the exact lot inside the first bracket where the cheaper route changes
    primary_chain = next(c for c in idler_report.chains if c.chain_id == report["primary_process_chain_id"])

    def lot_cost(chain, n: int) -> float:  # type: ignore[no-untyped-def]
        return estimate_chain(
            chain.features,
            chain.material,
            chain.machine,
            chain.process,
            CATALOG.config,
            n,
            layers=chain.plan.layer_count,
        ).cost_per_lot

    def lot_costs(n: int) -> tuple[float, float]:  # AM, and the cheapest conventional route at n
        return lot_cost(primary_chain, n), min(lot_cost(c, n) for c in conventional)

    before, at = lot_costs(lot - 1), lot_costs(lot)
    assert (before[0] < before[1]) == cheaper[0]
    assert (at[0] < at[1]) != cheaper[0]


def test_break_even_does_not_depend_on_the_lot_quoted(idler_report):
    """The same part quoted for 3 and for 400 parts: the same curves and the same break-even.

    The conventional side is identical. The additive side is priced in the cheapest kept
    orientation at every lot, with the laser time measured on the orientation each quote
    chose (the CLI scan estimate: contours differ by orientation), so it agrees within 2 %.
    """
    other = run_analysis(
        load(DATA / "idler_riser.STL", units="inch"), "316L", "slm", 400, part_id="p1", name="idler"
    )
    first, second = (
        analysis_report(r)["process_chains"][r.primary.chain_id]["break_even"] for r in (idler_report, other)
    )
    assert first["cost_pp_conventional"] == pytest.approx(second["cost_pp_conventional"], rel=1e-12)
    assert first["cost_pp"] == pytest.approx(second["cost_pp"], rel=0.02)
    for key in ("lot_sizes", "am_cheaper", "break_even_lot", "crossings", "conventional_at"):
        assert first[key] == second[key], key


def test_run_analysis_errors_and_too_big_part():
    cube = part(*box((10.0, 10.0, 10.0)))
    with pytest.raises(MakereadyError) as unknown:
        run_analysis(cube, "unobtainium", "slm")
    assert unknown.value.code == "catalog.not_found"
    assert "316L" in unknown.value.message  # the valid names are listed
    with pytest.raises(MakereadyError) as mismatch:
        run_analysis(cube, "PLA", "slm")
    assert mismatch.value.code == "request.invalid"
    with pytest.raises(MakereadyError) as lot:
        run_analysis(cube, "316L", "slm", 0)
    assert lot.value.code == "request.invalid"
    huge = Part((Body("beam", *box((1200.0, 40.0, 40.0))),), "test", name="beam")
    result = run_analysis(huge, "316L", "slm")
    primary = analysis_report(result)["process_chains"][result.primary.chain_id]
    assert primary["fits_mac"] is False
    assert primary["feasibility"]["size"]["fits_mac"] is False
    assert "does not fit" in primary["infeasible_reason"]


def test_parts_per_job_uses_the_outline_lattice():
    from shapely.geometry import Point

    from makeready.costing.jobs import parts_per_job

    round_part = features(extents=np.array([20.0, 20.0, 10.0]))
    process, machine = CATALOG.process("slm"), CATALOG.machine("EOS M 290")
    boxes = parts_per_job(round_part, machine, process)
    lattice = parts_per_job(
        dataclasses.replace(round_part, outline=Point(0, 0).buffer(10.0, quad_segs=32)), machine, process
    )
    assert lattice > boxes


def test_reported_actuals_are_brought_to_per_job_time_and_per_part_cost():
    """A lot of 10 made in 3 jobs of up to 4 parts: each basis a bureau may report converts."""
    from makeready.costing.calibration import reported_actuals

    chain = {"parts_per_job": 4, "jobs": 3, "lot_size": 10}
    none3 = (None, None, None)
    assert reported_actuals(process_time=None, machine_time=(0.5, None, None), cost=none3, **chain) == (
        2.0,
        None,
    )
    assert reported_actuals(process_time=None, machine_time=(None, None, 6.0), cost=none3, **chain) == (
        2.0,
        None,
    )
    assert reported_actuals(process_time=2.5, machine_time=(0.5, None, None), cost=none3, **chain)[0] == 2.5
    assert reported_actuals(process_time=2.0, machine_time=none3, cost=(None, 40.0, None), **chain)[1] == 10.0
    assert reported_actuals(process_time=2.0, machine_time=none3, cost=(12.0, 40.0, None), **chain)[1] == 12.0
    # A lot's cost spreads over the lot's 10 parts, not over 3 jobs x 4 places (8.33).
    assert (
        reported_actuals(process_time=2.0, machine_time=none3, cost=(None, None, 100.0), **chain)[1] == 10.0
    )
    with pytest.raises(MakereadyError) as refused:
        reported_actuals(process_time=None, machine_time=none3, cost=(1.0, None, None), **chain)
    assert refused.value.code == "request.invalid"


def test_footprint_outline_is_the_convex_hull_of_every_projected_point() -> None:
    """The footprint keeps Qhull's corners only, then GEOS's polygon: it must be exactly GEOS's
    convex hull of all the points (the faster path, 2026-12-04: a 40,000-vertex sphere's quote
    went from 24 s to 11 s on a loaded 2-core machine)."""
    import shapely
    from scipy.spatial.transform import Rotation

    from makeready.costing.features import _projected_hull
    from tests.meshes import uv_sphere

    rng = np.random.default_rng(7)
    clouds = [uv_sphere(10.0, 120, 60)[0], box((20.0, 10.0, 5.0))[0], rng.normal(size=(400, 3)) * [30, 10, 2]]
    for points in clouds:
        for rotation in Rotation.random(12, random_state=3).as_matrix():
            expected = shapely.convex_hull(shapely.multipoints((points @ rotation.T)[:, :2]))
            outline = _projected_hull(points, rotation)
            assert outline is not None
            assert outline.equals_exact(expected, 0.0)
    line = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [2.0, 0.0, 0.0]])
    assert _projected_hull(line, np.eye(3)) is None  # no area: no footprint


def _turned_prism(radius: float, length: float) -> Part:
    return Part((Body("turned", *prism(128, radius, length)),), "generated", name="turned")


def test_a_cube_is_not_turned_and_a_shaft_and_a_flange_are():
    """The box rule alone (two box edges within 15 %) called a 20 mm cube turnable and priced
    it turned; the part must also lie inside the bar around that axis (docs/costing.md).

    The bar bought for a flange lies along its short axis: diameter 80 mm (the 128-gon across
    flats, 80 cos(pi/128)) + 2 x 3 mm allowance, length 10 + 2 x 3 mm, 15 % waste, at the
    catalog's density and price, over the good-part yield (closed form).
    """
    chains = {}
    for name, solid in (
        ("cube", Part((Body("cube", *box((20.0, 20.0, 20.0))),), "generated", name="cube")),
        ("shaft", _turned_prism(10.0, 60.0)),
        ("flange", _turned_prism(40.0, 10.0)),
    ):
        result = run_analysis(solid, "Al 6061", "milling", 10)
        chains[name] = {c.process.prc_acronym: c for c in result.chains}
    assert not chains["cube"]["turning"].feasible
    assert "not near-rotational" in chains["cube"]["turning"].verdict
    assert chains["cube"]["milling"].feasible
    for name in ("shaft", "flange"):
        assert chains[name]["turning"].feasible, (name, chains[name]["turning"].verdict)
    flange = chains["flange"]["turning"]
    material = flange.material
    allowance = float(material.properties_milling.get("stock_allowance") or 3.0)
    radius = 40.0 * math.cos(math.pi / 128)
    kg = math.pi * (radius + allowance) ** 2 * (10.0 + 2 * allowance) * material.mat_rho * 1e-6 * 1.15
    good = 1.0 - flange.process.failure_rate
    assert flange.estimate.material_cost == pytest.approx(kg * material.raw_mat_cost / good, rel=1e-6)


def test_a_lathe_takes_a_disc_up_to_its_swing():
    """The Haas ST-10 cuts up to 356 mm in diameter and 406 mm long (its catalog envelope): a
    305 mm disc fits (the square inscribed in the swing, 252 mm, would refuse it), 380 mm does not.
    """
    for diameter, fits in ((305.0, True), (380.0, False)):
        result = run_analysis(_turned_prism(diameter / 2, 26.0), "Al 6061", "milling", 1)
        turning = next(c for c in result.chains if c.process.prc_acronym == "turning")
        assert turning.machine.mac_name == "Haas ST-10"
        assert turning.feasible is fits, (diameter, turning.verdict)
        if not fits:
            assert "does not fit Haas ST-10" in turning.verdict
