"""The quote workflow, ``run_analysis``: a part in, a :class:`QuoteResult` out.

Stages (one progress callback reports each): mesh checks → wall thickness → for every process
chain of the material's group (the requested one first): build orientation and supports (AM),
design rules, cost model → conventional baseline, scores and break-even. The 3D Spark API's
``analysis_report`` is rendered from the result by :mod:`makeready.rendering.spark`.

Chains: the requested ``(material, process)`` is the primary chain; every other process that
offers a material of the same group (``mat_lvl_2_name``, e.g. "stainless steel") is costed
with that material on its default machine (or the first one the part fits). The cheapest
feasible conventional chain is the baseline (the API's ``current_cost``, ``current_leadtime``,
``current_technology``).
"""

from __future__ import annotations

import functools
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
from scipy.spatial.transform import Rotation

from makeready.catalog import Catalog, CostingConfig, Machine, Material, Process, record_id
from makeready.costing.break_even import SWEEP_LOTS, BreakEven, break_even
from makeready.costing.calibration import Calibration
from makeready.costing.chain import NESTING_STYLES, ChainEstimate, Nesting, estimate_chain
from makeready.costing.features import PartFeatures, part_features
from makeready.costing.jobs import parts_per_job
from makeready.costing.model import PrintTime
from makeready.costing.objective import cost_objective, machine_for
from makeready.costing.processes.extrusion import volumetric
from makeready.errors import MakereadyError
from makeready.geometry.analysis import AnalysisReport, analyze
from makeready.geometry.design_rules import Feasibility, check_design, fits_build_volume
from makeready.geometry.mesh import Part
from makeready.geometry.orientation import Orientation, PlanScore, orient
from makeready.geometry.prepared import PreparedPart
from makeready.geometry.repair import RepairReport, repair
from makeready.geometry.supports import PROCESSES, SupportPlan, SupportSettings, plan_supports
from makeready.geometry.thickness import ThicknessReport, measure
from makeready.printables.fdm_time import part_print_time, print_time
from makeready.printables.pbf_time import part_scan_time
from makeready.printables.vat_time import part_resin_time
from makeready.progress import NO_PROGRESS, Progress, Stage
from makeready.units import UnitsWarning, suspect_units

__all__ = [
    "BREAK_EVEN_LOTS",
    "BreakEvenCurve",
    "ChainResult",
    "ChainScores",
    "QuoteResult",
    "check_nesting",
    "price_at",
    "run_analysis",
]

BREAK_EVEN_LOTS = SWEEP_LOTS


@dataclass(frozen=True, slots=True)
class ChainResult:
    """One costed process chain with the geometry it was costed on."""

    chain_id: str
    process: Process
    material: Material
    machine: Machine
    estimate: ChainEstimate
    initial: ChainEstimate
    plan: SupportPlan
    orientation: Orientation | None
    feasibility: Feasibility
    features: PartFeatures
    #: Other build orientations of the search that fit the machine, each with its features,
    #: layers, parts per build and print time: at another lot one may be cheaper (break-even).
    alternatives: tuple[tuple[PartFeatures, int, int, PrintTime | None], ...] = ()
    #: One part's print time from its printable's estimator (FDM G-code, powder-bed CLI, SL1 file).
    print_time: PrintTime | None = None

    @property
    def feasible(self) -> bool:
        """One rule everywhere: the part fits a machine of the chain and every design check passes."""
        return bool(self.estimate.feasible and self.feasibility.passed)

    @property
    def verdict(self) -> str:
        """Why the chain is infeasible, with the failing checks' values and limits ("" if feasible)."""
        if not self.estimate.feasible:
            return self.estimate.reason
        return "; ".join(f.text for f in self.feasibility.findings if f.passed is False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainScores:
    """A chain's scores, 0-100 (makeready's definitions; the 3D Spark API defines none).

    ``technical``: share of the design checks that pass (a chain that does not fit scores 0);
    ``economic``: baseline cost / chain cost, capped at 100; ``leadtime``: baseline lead time /
    chain lead time, capped; ``overall``: their mean (the API sample's overall is the mean of its
    three).
    """

    technical: float
    economic: float
    leadtime: float

    @property
    def overall(self) -> float:
        """The mean of the three scores."""
        return (self.economic + self.leadtime + self.technical) / 3.0


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakEvenCurve:
    """The primary chain against the cheapest conventional chain at every swept lot (EUR per part).

    ``sweep.lot`` is the exact lot at which the cheaper side first changes (None when one side
    is cheaper over the whole sweep); ``conventional_at`` names the conventional route
    (``prc``) that is cheapest at each swept lot; ``conventional_technology`` the baseline's.
    """

    sweep: BreakEven
    conventional_technology: str
    conventional_at: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class QuoteResult:
    """Everything ``run_analysis`` found about one part, in domain units (mm, EUR, h, days, kg).

    :func:`makeready.rendering.spark.analysis_report` renders it as the 3D Spark API's
    ``analysis_report``.
    """

    part: Part
    part_id: str
    name: str
    creator: str
    lot_size: int
    created: date
    #: The costing configuration the chains were priced with.
    config: CostingConfig
    #: Every costed chain, the requested one first.
    chains: tuple[ChainResult, ...]
    #: The mesh the chains were costed on (repaired when the upload needed it).
    analysis: AnalysisReport
    thickness: ThicknessReport
    #: The mesh as uploaded (the same report as ``analysis`` when it needed no repair).
    upload: AnalysisReport
    repair: RepairReport | None = None
    #: The cheapest feasible conventional chain at the quoted lot (None when none is feasible).
    baseline: ChainResult | None = None
    #: Chain id -> its scores against the baseline.
    scores: Mapping[str, ChainScores]
    #: The primary chain against conventional manufacture (None when either side is missing).
    break_even: BreakEvenCurve | None = None
    units: UnitsWarning | None = None
    #: The owner's calibration: the model's WMAPE (percent) against recorded actuals.
    accuracy: Mapping[str, float | int | None] | None = None

    @property
    def primary(self) -> ChainResult:
        """The requested chain."""
        return self.chains[0]

    @property
    def conventional(self) -> tuple[ChainResult, ...]:
        """The feasible conventional chains."""
        return tuple(c for c in self.chains if c.process.tech == "conventional" and c.feasible)

    @property
    def cost_saved(self) -> float | None:
        """Baseline lot cost minus the primary chain's initial-orientation lot cost (EUR)."""
        primary = self.primary.initial
        if self.baseline is None or not primary.feasible:
            return None
        return self.baseline.estimate.cost_per_lot - primary.cost_per_lot

    @property
    def leadtime_saved(self) -> float | None:
        """Baseline lead time minus the primary chain's (days)."""
        if self.baseline is None or not self.primary.feasible:
            return None
        return self.baseline.estimate.leadtime_days - self.primary.estimate.leadtime_days


def run_analysis(
    part: Part,
    material: str = "316L",
    process: str = "slm",
    lot_size: int = 1,
    *,
    catalog: Catalog | None = None,
    part_id: str | None = None,
    name: str | None = None,
    creator: str = "",
    calibration: Calibration | None = None,
    nesting: str | None = None,
    progress: Progress = NO_PROGRESS,
) -> QuoteResult:
    """Analyse, orient, check and cost a part on every process chain of its material group.

    Parameters
    ----------
    part : Part
        The part as uploaded.
    material : str
        Material name of the primary chain (e.g. "316L").
    process : str
        Process acronym of the primary chain (e.g. "slm").
    lot_size : int
        Parts ordered.
    catalog : Catalog, optional
        Records to use (with an owner's overrides); default: the shipped catalog.
    part_id, name, creator : str, optional
        Identity fields of the report.
    calibration : Calibration, optional
        The owner's recorded actuals: they adjust the machines (owner overrides) and the
        report's ``calibration`` block gives the model's WMAPE against them.
    nesting : {"alone", "shared"}, optional
        How additive builds are shared (the lot's own builds, or a share of a full build as a
        bureau fills it with other orders); default the costing configuration's ``nesting``.
    progress : callable, optional
        ``progress(fraction, stage)`` after each stage (:mod:`makeready.progress`).

    Returns
    -------
    QuoteResult

    Raises
    ------
    MakereadyError
        ``catalog.not_found`` for an unknown material or process (the message lists valid
        names), ``request.invalid`` when the material is not offered for the process, the
        lot size is below 1 or the nesting style is unknown.

    """
    cat = catalog or Catalog.default()
    if calibration is not None:
        cat = cat.for_owner(calibration.overrides(), owner=calibration.owner)
    if lot_size < 1:
        raise MakereadyError("request.invalid", "lot_size must be at least 1")
    style = check_nesting(nesting or cat.config.nesting)
    primary_process = cat.process(process)
    primary_material = cat.material(material)
    if not primary_material.serves(primary_process.prc_acronym):
        offered = ", ".join(m.mat_name for m in cat.materials_for(primary_process.prc_acronym))
        raise MakereadyError(
            "request.invalid",
            f"{primary_material.mat_name} is not offered for {primary_process.prc_acronym}; "
            f"choose from {offered}",
        )
    upload = analyze(part, self_intersections=False)
    analysis, repair_report = upload, None
    if not upload.is_clean:  # cost the repaired mesh, as the API's "analysis_mesh" block says
        part, repair_report = repair(part, self_intersections=False)
        analysis = repair_report.after
    progress(0.15, Stage.MESH_CHECKS)
    prep = PreparedPart(part)  # one set of arrays and one ray engine for every step of the analysis
    thin, narrow = primary_material.t_lim_min or 1.0, primary_material.gap_lim_min or 0.5
    thickness = measure(prep, thin_below=thin, narrow_below=narrow)
    progress(0.35, Stage.WALL_THICKNESS)
    pid = part_id or uuid.uuid4().hex
    pairs = _chains(cat, primary_material, primary_process)
    shared = _Shared(prep, analysis, thickness)
    results = []
    for i, (prc, mat) in enumerate(pairs):
        results.append(_cost_chain(shared, pid, cat, prc, mat, lot_size, style))
        progress(0.35 + 0.6 * (i + 1) / len(pairs), Stage.COSTING)
    units = suspect_units(float(max(analysis.metrics.extents)), part.source_units)
    conventional = [r for r in results if r.process.tech == "conventional" and r.feasible]
    baseline = min(conventional, key=lambda r: r.estimate.cost_per_lot) if conventional else None
    result = QuoteResult(
        part=part,
        part_id=pid,
        name=name or part.name,
        creator=creator,
        lot_size=lot_size,
        created=date.today(),
        config=cat.config,
        chains=tuple(results),
        analysis=analysis,
        thickness=thickness,
        upload=upload,
        repair=repair_report,
        baseline=baseline,
        scores={r.chain_id: _scores(r, baseline) for r in results},
        break_even=_break_even(results[0], conventional, baseline, cat),
        units=units,
        accuracy=calibration.accuracy() if calibration is not None else None,
    )
    progress(1.0, Stage.REPORT)
    return result


def check_nesting(style: str) -> Nesting:
    """``style`` as a nesting style; ``request.invalid`` naming the valid ones otherwise."""
    if style not in NESTING_STYLES:
        raise MakereadyError(
            "request.invalid", f"nst_style must be one of {', '.join(NESTING_STYLES)}, not {style!r}"
        )
    return style  # type: ignore[return-value]


def _chains(cat: Catalog, material: Material, process: Process) -> list[tuple[Process, Material]]:
    pairs = [(process, material)]
    for prc in cat.processes.values():
        if prc.prc_acronym == process.prc_acronym:
            continue
        same_group = [
            m for m in cat.materials_for(prc.prc_acronym) if m.mat_lvl_2_name == material.mat_lvl_2_name
        ]
        if same_group:
            pairs.append((prc, same_group[0]))
    return pairs


class _Shared:
    """What every chain of one part reuses: the prepared part, its analysis and thickness."""

    def __init__(self, prep: PreparedPart, analysis: AnalysisReport, thickness: ThicknessReport) -> None:
        self.prep = prep
        self.analysis = analysis
        self.thickness = thickness


def _cost_chain(
    shared: _Shared,
    part_id: str,
    cat: Catalog,
    process: Process,
    material: Material,
    lot_size: int,
    nesting: Nesting,
) -> ChainResult:
    part, analysis, thickness = shared.prep.part, shared.analysis, shared.thickness
    acronym = process.prc_acronym
    support_process = PROCESSES.get(acronym, PROCESSES["sls"])  # conventional: no supports
    orientation, ranked = None, None
    if process.tech == "additive_manufacturing":
        # Ranked by what the chain costs in each orientation (a bureau pays for supports,
        # layers and plate space, not for a geometric proxy of them); the poses cheapest for
        # the largest lot swept are kept beside them for the break-even (a plate that lies
        # low for one part may stand on edge, many to a build, for 10,000).
        def chain_cost(lot: int) -> PlanScore:
            return cost_objective(
                analysis.metrics,
                cat.machines_for(acronym),
                process,
                material,
                cat.config,
                lot,
                nesting=nesting,
                wall=thickness.t_max,
                hull=shared.prep.hull,
            )

        ranked = orient(
            shared.prep,
            support_process,
            objective=chain_cost(lot_size),
            also=chain_cost(max(SWEEP_LOTS)),
            keep=8,
            density=material.mat_rho,
        )
        orientation, plan = _fitting_orientation(shared, cat, process, material, support_process, ranked)
        initial_plan = plan_supports(shared.prep, None, support_process, density=material.mat_rho)
    else:
        flat = analysis.metrics.oriented_box.rotation[::-1].copy()  # longest edge along x, thinnest up
        if np.linalg.det(flat) < 0:
            flat[2] *= -1.0
        plan = initial_plan = plan_supports(part, flat, support_process)
    hull = shared.prep.hull
    features = part_features(analysis.metrics, plan, wall=thickness.t_max, hull=hull)
    initial_features = part_features(analysis.metrics, initial_plan, wall=thickness.t_max, hull=hull)
    machine, capacity = machine_for(cat.machines_for(acronym), process, material, features)
    toolpaths = _toolpath_time(part, plan, machine, material, process) if capacity else None

    def timed(other: PartFeatures) -> PrintTime | None:
        """The printable's time for another orientation of the part, scaled from this one's.

        A powder-bed part scans the same hatches and contours however it is turned (its
        supports are priced apart), so its time is kept; a resin plate's time goes with its
        layer count; FDM by the volumetric model's ratio.
        """
        if toolpaths is None or other is features:
            return toolpaths
        if process.family == "vat":
            layers = other.build_height / max(features.build_height, 1e-9)
            return toolpaths.scaled(layers, 1.0, "scaled to this orientation by its height")
        if process.family != "extrusion":
            return toolpaths
        hours, deposited = volumetric(features, material)
        other_hours, other_deposited = volumetric(other, material)
        if hours <= 0.0 or deposited <= 0.0:
            return None
        why = "scaled to this orientation by the volumetric model"
        return toolpaths.scaled(other_hours / hours, other_deposited / deposited, why)

    estimate = estimate_chain(
        features,
        material,
        machine,
        process,
        cat.config,
        lot_size,
        layers=plan.layer_count,
        nesting=nesting,
        parts_per_build=capacity,
        print_time=toolpaths,
    )
    initial = estimate_chain(
        initial_features,
        material,
        machine,
        process,
        cat.config,
        lot_size,
        layers=initial_plan.layer_count,
        nesting=nesting,
        print_time=timed(initial_features),
    )
    feasibility = check_design(shared.prep, thickness, material, machine, box=analysis.metrics.oriented_box)
    chain_id = record_id(part_id, acronym, material.mat_name, machine.mac_name)
    alternatives = []
    for other in ranked[1:] if ranked is not None else ():
        other_features = part_features(analysis.metrics, other.plan, wall=thickness.t_max, hull=hull)
        other_capacity = parts_per_job(other_features, machine, process)
        if other_capacity > 0:
            alternatives.append(
                (other_features, other.plan.layer_count, other_capacity, timed(other_features))
            )
    return ChainResult(
        chain_id,
        process,
        material,
        machine,
        estimate,
        initial,
        plan,
        orientation,
        feasibility,
        features,
        tuple(alternatives),
        toolpaths,
    )


def _toolpath_time(
    part: Part, plan: SupportPlan, machine: Machine, material: Material, process: Process
) -> PrintTime | None:
    """One part's print time from its printable's estimator in the plan's orientation.

    FDM: the G-code's planner; metal powder bed and SLS: the CLI file's scan estimate; resin on the
    SL1 family: the print file's exposure and tilt times. None for other families and
    printers, and when the part cannot be sliced (not a closed manifold even after repair):
    the cost model then states that it used its own model.
    """
    try:
        if process.family == "extrusion":
            return print_time(part_print_time(part, plan.rotation, machine, material))
        if process.family == "pbf_metal" or process.prc_acronym == "sls":  # laser scans a CLI file
            return part_scan_time(part, plan.rotation, machine, material)
        if process.family == "vat":
            from makeready.print_definitions import PrintDefinitions

            exposure = PrintDefinitions.default().print_material_for(machine.mac_name)
            return part_resin_time(part, plan.rotation, machine, material, exposure)
    except MakereadyError:
        return None
    return None


def _fitting_orientation(
    shared: _Shared,
    cat: Catalog,
    process: Process,
    material: Material,
    settings: SupportSettings,
    ranked: list[Orientation],
) -> tuple[Orientation, SupportPlan]:
    """The best-ranked orientation that fits one of the process's machines.

    When none of the ranked ones fits, the part is turned the way the build-volume check found
    (:func:`fits_build_volume`) for the first machine it fits; the plan is then recomputed on the
    full mesh.
    """
    machines = cat.machines_for(process.prc_acronym)
    box = shared.analysis.metrics.oriented_box

    def fits(plan: SupportPlan) -> bool:
        features = part_features(shared.analysis.metrics, plan)
        return any(parts_per_job(features, m, process) > 0 for m in machines)

    for candidate in ranked:
        if fits(candidate.plan):
            if candidate.full_mesh:
                return candidate, candidate.plan
            plan = plan_supports(shared.prep, candidate.rotation, settings, density=material.mat_rho)
            return replace(candidate, plan=plan, full_mesh=True), plan
    for machine in machines:
        rotation = fits_build_volume(shared.prep.hull, machine.build_volume, box)
        if rotation is None:
            continue
        plan = plan_supports(shared.prep, rotation, settings, density=material.mat_rho)
        if fits(plan):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                euler = Rotation.from_matrix(rotation).as_euler("xyz", degrees=True)
            down = rotation.T @ np.array([0.0, 0.0, -1.0])
            return Orientation(rotation, euler, down, float("nan"), plan, True), plan
    return ranked[0], ranked[0].plan


def _scores(result: ChainResult, baseline: ChainResult | None) -> ChainScores:
    """The chain's scores against the baseline (:class:`ChainScores`)."""
    f = result.feasibility
    checks = [
        f.thickness.t_min_chk,
        f.thickness.t_max_chk,
        f.gap_size.gap_min_chk,
        f.size.size_min_chk,
        f.size.size_max_chk,
        f.size.fits_mac,
    ]
    made = [c for c in checks if c is not None]
    technical = 100.0 * sum(bool(c) for c in made) / len(made) if made else 100.0
    if not result.estimate.feasible:
        technical = 0.0
    economic = leadtime = 100.0
    if baseline is not None and result.feasible and baseline.feasible:
        economic = 100.0 * min(1.0, baseline.estimate.cost_per_part / result.estimate.cost_per_part)
        leadtime = 100.0 * min(1.0, baseline.estimate.leadtime_days / result.estimate.leadtime_days)
    elif not result.feasible:
        economic = leadtime = 0.0
    return ChainScores(technical=technical, economic=economic, leadtime=leadtime)


def price_at(
    result: ChainResult, catalog: Catalog, lot_size: int, nesting: Nesting | None = None
) -> ChainEstimate:
    """The chain priced for another lot, on the same model as its quote.

    An additive chain is built in the cheapest of the orientations its search kept (the one
    quoted is cheapest at the quoted lot; another, with more parts per build or fewer layers,
    may be at a larger one), each with its printable's time; ``nesting`` defaults to the
    quote's.
    """
    options = (
        (result.features, result.plan.layer_count, result.estimate.parts_per_job, result.print_time),
        *result.alternatives,
    )
    estimates = [
        estimate_chain(
            features,
            result.material,
            result.machine,
            result.process,
            catalog.config,
            lot_size,
            layers=layers,
            nesting=nesting or result.estimate.nesting,
            # The nesting does not depend on the lot (an infeasible quote nests afresh).
            parts_per_build=capacity if result.estimate.feasible else None,
            print_time=timed,
        )
        for features, layers, capacity, timed in options
    ]
    feasible = [e for e in estimates if e.feasible]
    return min(feasible, key=lambda e: e.cost_per_lot) if feasible else estimates[0]


def _lot_cost(result: ChainResult, cat: Catalog) -> Callable[[int], float]:
    """The chain's lot cost (EUR) as a function of the lot size (:func:`price_at`)."""

    def cost(lot: int) -> float:
        return price_at(result, cat, lot).cost_per_lot

    return cost


def _break_even(
    primary: ChainResult, conventional: list[ChainResult], baseline: ChainResult | None, cat: Catalog
) -> BreakEvenCurve | None:
    """Cost per part of the chain and of conventional manufacture over lot sizes, and where they cross.

    The conventional side is, at every lot, the cheapest feasible conventional chain at that lot
    (tooling and set-ups amortised), so the answer does not depend on the lot the part was
    quoted for.
    """
    if baseline is None or not primary.feasible or not conventional:
        return None
    routes = [(c.process.prc, _lot_cost(c, cat)) for c in conventional]

    @functools.cache  # the sweep and ``conventional_at`` ask for the same lots
    def cheapest_conventional(lot: int) -> tuple[float, str]:
        return min((cost(lot), name) for name, cost in routes)

    sweep = break_even(_lot_cost(primary, cat), lambda lot: cheapest_conventional(lot)[0])
    return BreakEvenCurve(
        sweep=sweep,
        conventional_technology=baseline.process.prc,
        conventional_at=tuple(cheapest_conventional(lot)[1] for lot in sweep.lots),
    )
