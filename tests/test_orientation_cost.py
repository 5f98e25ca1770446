"""Orientation ranked by the chain's cost (issue 22 item 2): the quote, trays and the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from typer.testing import CliRunner

from makeready import load, orient, run_analysis
from makeready.catalog import Catalog
from makeready.cli import app
from makeready.costing.chain import estimate_chain
from makeready.costing.features import part_features
from makeready.costing.objective import NO_FIT_PENALTY, catalog_objective
from makeready.geometry.analysis import analyze
from makeready.geometry.supports import plan_supports
from makeready.rendering.spark import analysis_report
from tests.conftest import DATA
from tests.meshes import box, part

TURN = Rotation.from_euler("xyz", [33.0, 71.0, -12.0], degrees=True).as_matrix()


def test_a_callable_objective_ranks_the_candidates():
    # A 40 x 20 x 5 mm box turned arbitrarily: "tallest first" must stand it on a corner,
    # its space diagonal upright: sqrt(40² + 20² + 5²) = 45 mm (to the search's 1° steps).
    v, f = box((40.0, 20.0, 5.0))
    best = orient(part(v @ TURN.T, f), "sls", objective=lambda plan: -plan.build_height)[0]
    assert best.plan.build_height == pytest.approx(45.0, abs=0.01)
    assert best.score == pytest.approx(-best.plan.build_height)


def test_a_plate_is_printed_flat_by_cost():
    # 100 x 60 x 4 mm on FDM: lying flat needs no support and the fewest layers, and the
    # objective is the EUR per part the quote would charge.
    v, f = box((100.0, 60.0, 4.0))
    plate = part(v @ TURN.T, f)
    objective, material = catalog_objective(analyze(plate).metrics, Catalog.default(), "fdm")
    best = orient(plate, "fdm", objective=objective, density=material.mat_rho)[0]
    assert best.plan.build_height == pytest.approx(4.0, abs=1e-6)
    assert best.plan.support_volume == pytest.approx(0.0, abs=1e-6)
    assert 0.0 < best.score < NO_FIT_PENALTY


def test_a_part_larger_than_every_machine_scores_as_not_fitting():
    v, f = box((900.0, 20.0, 20.0))
    beam = part(v, f)
    objective, _ = catalog_objective(analyze(beam).metrics, Catalog.default(), "fdm")
    assert orient(beam, "fdm", objective=objective)[0].score >= NO_FIT_PENALTY


@pytest.fixture(scope="module")
def featuretype_fdm():
    # trimesh's featuretype test part (5 x 2.5 x 1.375 in, flat base, 45° chamfers) on FDM.
    shape = load(DATA / "featuretype.STL", units="inch")
    return shape, run_analysis(shape, "PLA", "fdm", 1, part_id="f", name="featuretype")


def test_the_quote_orientation_costs_least(featuretype_fdm):
    shape, result = featuretype_fdm
    chain = result.chains[0]
    cat = Catalog.default()
    balanced = orient(shape, "fdm", density=chain.material.mat_rho)[0]
    plan = plan_supports(shape, balanced.rotation, "fdm", density=chain.material.mat_rho)
    features = part_features(result.analysis.metrics, plan, wall=result.thickness.t_max)
    other = estimate_chain(
        features, chain.material, chain.machine, chain.process, cat.config, 1, layers=plan.layer_count
    )
    mine = estimate_chain(
        chain.features,
        chain.material,
        chain.machine,
        chain.process,
        cat.config,
        1,
        layers=chain.plan.layer_count,
    )
    # Ranked (by the volumetric time model) on a decimated copy, priced on the full mesh: no
    # dearer than the geometric ranking's winner (within the copy's sampling of supports).
    assert mine.cost_per_part <= other.cost_per_part * 1.01
    # A flat-bottomed part at a lot of one lies on its base, a face exactly down.
    rotation = chain.orientation.rotation
    assert np.allclose(np.abs(rotation), np.round(np.abs(rotation)), atol=1e-9)
    assert chain.plan.build_height == pytest.approx(1.375 * 25.4, abs=1e-6)


def test_break_even_builds_each_lot_in_its_cheapest_orientation(featuretype_fdm):
    # At 100 parts the 45°-standing pose holds twice the copies per plate (6 vs 3): the
    # break-even curve prices the lot in it, below the flat pose quoted for one part.
    _, result = featuretype_fdm
    chain = result.chains[0]
    cat = Catalog.default()
    assert chain.alternatives, "the search kept other orientations"
    flat = estimate_chain(
        chain.features,
        chain.material,
        chain.machine,
        chain.process,
        cat.config,
        100,
        layers=chain.plan.layer_count,
        parts_per_build=chain.estimate.parts_per_job,
        print_time=chain.print_time,
    ).cost_per_part
    curve = analysis_report(result)["process_chains"][result.primary.chain_id]["break_even"]
    at_100 = curve["cost_pp"][curve["lot_sizes"].index(100)]
    assert at_100 < flat
    assert at_100 == pytest.approx(
        min(
            estimate_chain(
                features,
                chain.material,
                chain.machine,
                chain.process,
                cat.config,
                100,
                layers=layers,
                parts_per_build=capacity,
                print_time=timed,
            ).cost_per_part
            for features, layers, capacity, timed in (
                (chain.features, chain.plan.layer_count, chain.estimate.parts_per_job, chain.print_time),
                *chain.alternatives,
            )
        ),
        rel=1e-9,
    )


def test_cli_orients_by_cost():
    runner = CliRunner()
    done = runner.invoke(
        app,
        ["orient", str(DATA / "featuretype.STL"), "--units", "inch", "--objective", "cost", "--json"],
    )
    assert done.exit_code == 0, done.output
    ranked = json.loads(done.stdout)
    assert ranked["objective"] == "cost"
    assert ranked["lot_size"] == 1
    scores = [o["score"] for o in ranked["orientations"]]
    assert scores[0] == min(scores)


def test_the_fdm_quote_time_is_the_gcode_time(featuretype_fdm, tmp_path):
    # One time model: the quote's build time for one part is the G-code's estimate for the
    # same part in the same orientation, plus one layer change per layer.
    from makeready.printables.slice_job import slice_to_printable

    shape, result = featuretype_fdm
    chain = result.chains[0]
    assert chain.print_time is not None
    assert "G-code toolpath estimate" in " ".join(chain.estimate.notes)
    machine = chain.machine
    build_h = chain.estimate.machine_h_pp - machine.setup_time - machine.unloading_time
    layer_changes_h = chain.plan.layer_count * machine.mac_prc_t_plyr / 3600.0
    assert build_h == pytest.approx(chain.print_time.seconds / 3600.0 + layer_changes_h, rel=1e-9)
    matrix = np.eye(4)
    matrix[:3, :3] = chain.orientation.rotation
    turned = shape.with_bodies([b.transformed(matrix) for b in shape.bodies])
    printed = slice_to_printable(turned, tmp_path / "f.gcode", Catalog.default(), machine, "PLA")
    assert chain.print_time.seconds == pytest.approx(printed["print_time_s"], rel=0.02)
    grams = chain.print_time.deposited_mm3 * chain.material.mat_rho / 1000.0
    assert grams == pytest.approx(printed["filament_g"], rel=0.02)
    # `makeready slice --orient` ranks as the quote does: the same pose, the same time.
    oriented = slice_to_printable(
        shape, tmp_path / "o.gcode", Catalog.default(), machine, "PLA", reorient=True
    )
    assert oriented["layers"] == printed["layers"]
    assert oriented["print_time_s"] == pytest.approx(chain.print_time.seconds, rel=0.02)


def test_the_powder_bed_quote_time_is_the_cli_time(tmp_path):
    # A 20 mm cube of 316L on the EOS M 290: the quote's laser time per part is the CLI
    # file's scan time without recoating (hatches 0.1 mm apart at the speed that gives the
    # material's 2.0 mm³/s, plus contours), within 3 %; recoating is the machine's per layer.
    from makeready.printables.slice_job import slice_to_printable

    cube = part(*box((20.0, 20.0, 20.0)))
    chain = run_analysis(cube, "316L", "slm", 1).chains[0]
    assert chain.print_time is not None
    assert "CLI scan estimate" in " ".join(chain.estimate.notes)
    # Hatching alone is the published build rate: 8,000 mm³ at 2.0 mm³/s = 4,000 s.
    assert 4000.0 < chain.print_time.seconds < 4000.0 * 1.1
    matrix = np.eye(4)
    matrix[:3, :3] = chain.orientation.rotation
    turned = cube.with_bodies([b.transformed(matrix) for b in cube.bodies])
    printed = slice_to_printable(turned, tmp_path / "c.cli", Catalog.default(), chain.machine, "316L")
    recoat = printed["layers"] * chain.machine.mac_prc_t_plyr
    assert printed["layers"] == 800  # 20 mm at the material's 25 µm
    assert chain.print_time.seconds == pytest.approx(printed["scan_time_s"] - recoat, rel=0.03)


def test_the_resin_quote_time_is_the_sl1_time(tmp_path):
    # Standard Resin on the Prusa SL1S (an owner's default machine): a plate of n parts is
    # priced with the .sl1 file's own estimate on n x each layer's area (exposures fading from
    # 25 s to 2 s over 10 layers, a tilt per layer), and the file states the same time.
    from makeready.catalog import Override
    from makeready.print_definitions import PrintDefinitions
    from makeready.printables.slice_job import slice_to_printable

    override = Override("material", "Standard Resin", {"default_machine_name": "Prusa SL1S SPEED"})
    cat = Catalog.default().for_owner([override], owner="o")
    block = part(*box((30.0, 20.0, 10.0)))
    chain = run_analysis(block, "Standard Resin", "sla", 1, catalog=cat).chains[0]
    assert chain.machine.mac_name == "Prusa SL1S SPEED"
    assert chain.print_time is not None
    assert chain.print_time.job_seconds is not None
    matrix = np.eye(4)
    matrix[:3, :3] = chain.orientation.rotation
    turned = block.with_bodies([b.transformed(matrix) for b in block.bodies])
    exposure = PrintDefinitions.default().print_material_for(chain.machine.mac_name)
    printed = slice_to_printable(
        turned, tmp_path / "b.sl1", cat, chain.machine, "Standard Resin", exposure=exposure
    )
    assert chain.print_time.seconds == pytest.approx(printed["print_time_s"], rel=1e-9)
    machine = chain.machine
    build_h = chain.estimate.machine_h_pj - machine.setup_time - machine.unloading_time
    plate = chain.estimate.parts_per_job if chain.estimate.lot_size >= chain.estimate.parts_per_job else 1
    assert build_h * 3600.0 == pytest.approx(chain.print_time.job_seconds(plate), rel=1e-9)
    # Ten parts on a layer expose together: far less than ten times one part's time.
    assert chain.print_time.job_seconds(10) < 2.0 * chain.print_time.job_seconds(1)


def test_the_sls_quote_scan_time_is_the_cli_time(tmp_path):
    # PA12 on the EOS P 396: the quote's laser time of the part (hatches 0.3 mm apart at the
    # material's build rate, contours) is the CLI file's scan time without recoating.
    from makeready.printables.slice_job import slice_to_printable

    cube = part(*box((20.0, 20.0, 20.0)))
    chain = run_analysis(cube, "PA12", "sls", 1).chains[0]
    assert chain.print_time is not None
    assert any("CLI scan estimate" in note for note in chain.estimate.notes)
    matrix = np.eye(4)
    matrix[:3, :3] = chain.orientation.rotation
    turned = cube.with_bodies([b.transformed(matrix) for b in cube.bodies])
    printed = slice_to_printable(turned, tmp_path / "c.cli", Catalog.default(), chain.machine, "PA12")
    recoat = printed["layers"] * chain.machine.mac_prc_t_plyr
    assert chain.print_time.seconds == pytest.approx(printed["scan_time_s"] - recoat, rel=0.03)


def test_large_lots_are_priced_in_the_poses_that_suit_them():
    # A 355.6 x 355.6 x 3.2 mm plate (trimesh's tray bottom) on the HP Jet Fusion 5200
    # (380 x 284 x 380 mm): it cannot lie flat; for one part the cheapest pose is tilted low,
    # one to a build; at 10,000 parts the plates stand on edge, many to a build. The quote at
    # lot 1 keeps that pose for its break-even.
    from makeready.workflows.quote import price_at

    plate = part(*box((355.6, 355.6, 3.175)))
    chain = run_analysis(plate, "PA12 MJF", "mjf", 1).chains[0]
    cat = Catalog.default()
    one, many = price_at(chain, cat, 1), price_at(chain, cat, 10_000)
    assert one.cost_per_part == pytest.approx(chain.estimate.cost_per_part, rel=1e-9)
    assert many.parts_per_job > 10 * max(chain.estimate.parts_per_job, 1)
    assert many.cost_per_part < 0.5 * one.cost_per_part
