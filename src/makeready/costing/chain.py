"""One process chain, priced: jobs for the lot, cost buckets, times, lead time, CO2, price.

Additive chains (``nesting="alone"``: the lot fills builds of its own, the last one partly;
``"shared"``: bureau mode, every part pays ``1/N`` of a full build of ``N`` parts, the rest of
the build being other orders — plate share for plate processes, packed box share for powder
beds, docs/cost-models.md 1.3):

* main = machine rate × machine hours + per-build fixed cost + operator hours on the machine ×
  technician rate;
* material = feedstock of the builds;
* pre = the order's preparation (``data_prep_h``, once per lot) + build preparation
  (``job_prep_h``, per build and so shared) at the AM expert's rate;
* post = per-build steps (depowdering, blasting, stress relief, plate removal, curing: shared
  by the build's parts) + per-part steps (support removal by supported area, finishing by
  surface area, inspection).

Conventional chains run the lot in production runs (the lot, or ``production_batch`` parts at
a time): one machine set-up per run, ``n`` × the process's cycle, and tooling (moulds, wax
dies, CAM programming, fixtures) once per lot — so the cost per part falls towards the
marginal cost as the lot grows.

Everything is divided by ``1 - failure_rate`` (Ulan_cost's failure factor [V]); market price =
cost × (1 + overhead + margin); lead time (working days) = queue + tooling + machine time of
the lot on one machine (additive machines 24 h a day, conventional ones
``conventional_hours_per_day``) + post-step calendar days + shipping; CO2 = feedstock ×
material factor + machine energy × grid factor.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

from makeready.catalog import CostingConfig, Machine, Material, PostStep, Process
from makeready.costing.features import PartFeatures
from makeready.costing.jobs import parts_per_job
from makeready.costing.model import JobContext, JobEstimate, PrintTime
from makeready.costing.processes import FAMILIES
from makeready.costing.processes.machining import turning_axis
from makeready.costing.rates import hourly_rate

__all__ = ["NESTING_STYLES", "ChainEstimate", "estimate_chain", "post_hours_per_part"]

NESTING_STYLES = ("alone", "shared")
Nesting = Literal["alone", "shared"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainEstimate:
    """A priced process chain (EUR, hours, working days, kg CO2e).

    ``cost_per_part``/``cost_per_job``/``cost_per_lot`` (the 3D Spark API's ``cost_pp``,
    ``cost_pj``, ``cost_pl``); the ``*_cost`` buckets (its ``bd_main``, ``bd_mat``, ``bd_pre``,
    ``bd_post``) are per part and add up to ``cost_per_part``; ``feasible`` is False when the
    part does not fit the machine (``reason`` says why). ``parts_per_job`` is the parts of one
    build (additive) or one production run (conventional), ``jobs`` the builds or runs of the
    lot; ``nesting`` the sharing rule used (conventional runs are always ``"alone"``).
    """

    process: str
    material: str
    machine: str
    lot_size: int
    parts_per_job: int
    jobs: int
    cost_per_part: float
    cost_per_job: float
    cost_per_lot: float
    main_process_cost: float
    material_cost: float
    pre_process_cost: float
    post_process_cost: float
    machine_h_pp: float
    machine_h_pj: float
    machine_h_pl: float
    labour_h_pp: float
    labour_h_pj: float
    labour_h_pl: float
    leadtime_days: int
    co2_kg_pp: float
    market_price_pp: float
    machine_rate: float
    feasible: bool
    reason: str
    notes: tuple[str, ...]
    nesting: Nesting = "alone"

    @property
    def market_price_pl(self) -> float:
        """Market price of the lot, EUR."""
        return self.market_price_pp * self.lot_size

    @property
    def market_price_pj(self) -> float:
        """Market price of one job, EUR."""
        return self.market_price_pp * min(self.parts_per_job, self.lot_size) if self.parts_per_job else 0.0


def _infeasible(
    process: Process, material: Material, machine: Machine, lot: int, reason: str, nesting: Nesting
) -> ChainEstimate:
    nan = float("nan")
    return ChainEstimate(
        process=process.prc_acronym, material=material.mat_name, machine=machine.mac_name, lot_size=lot,
        parts_per_job=0, jobs=0, cost_per_part=nan, cost_per_job=nan, cost_per_lot=nan,
        main_process_cost=nan, material_cost=nan, pre_process_cost=nan, post_process_cost=nan,
        machine_h_pp=nan, machine_h_pj=nan, machine_h_pl=nan, labour_h_pp=nan, labour_h_pj=nan,
        labour_h_pl=nan, leadtime_days=0, co2_kg_pp=nan, market_price_pp=nan, machine_rate=nan,
        feasible=False, reason=reason, notes=(), nesting=nesting,
    )  # fmt: skip


def post_hours_per_part(steps: tuple[PostStep, ...], support_area_mm2: float, area_mm2: float) -> float:
    """Per-part post-processing labour, hours: fixed + by supported area + by surface area.

    A step's ``min_h_per_part`` applies only to parts the step has work on (support removal of
    a part without supports takes no time).
    """
    support_cm2, surface_cm2 = support_area_mm2 / 100.0, area_mm2 / 100.0
    total = 0.0
    for s in steps:
        hours = (
            s.labour_h_per_part
            + s.labour_h_per_cm2_support * support_cm2
            + s.labour_h_per_cm2_surface * surface_cm2
        )
        total += max(hours, s.min_h_per_part) if hours > 0 else 0.0
    return total


def estimate_chain(
    features: PartFeatures,
    material: Material,
    machine: Machine,
    process: Process,
    config: CostingConfig,
    lot_size: int = 1,
    *,
    layers: int,
    nesting: Nesting | None = None,
    parts_per_build: int | None = None,
    print_time: PrintTime | None = None,
) -> ChainEstimate:
    """Price ``lot_size`` copies of a part on one process chain.

    Parameters
    ----------
    features : PartFeatures
        Geometry in the chain's build orientation.
    material, machine, process, config
        Catalog records.
    lot_size : int
        Parts ordered (at least 1).
    layers : int
        Layers of one part in its build orientation (``SupportPlan.layer_count``).
    nesting : {"alone", "shared"}, optional
        Whether additive builds hold only this order or are filled up with other work;
        default ``config.nesting``. Conventional runs ignore it.
    parts_per_build : int, optional
        Parts one additive build holds, when already known for these features, machine and
        process (``ChainEstimate.parts_per_job`` of another lot): saves the nesting, which does
        not depend on the lot. Ignored for conventional chains.
    print_time : PrintTime, optional
        One part's print time and deposited volume from the printable's estimator (FDM: the
        G-code's toolpaths); without it the family's own model estimates them.

    Raises
    ------
    ValueError
        ``lot_size`` below 1, an unknown nesting style or an unknown cost-model family.

    """
    if lot_size < 1:
        raise ValueError("lot_size must be at least 1")
    if process.family not in FAMILIES:
        raise ValueError(f"no cost model for family {process.family!r}")
    style = nesting or config.nesting
    if style not in NESTING_STYLES:
        raise ValueError(f"nesting must be one of {', '.join(NESTING_STYLES)}, not {style!r}")
    conventional = process.packing == "single"
    used: Nesting = "alone" if conventional else style
    if process.prc_acronym == "turning" and turning_axis(features) is None:
        reason = "not near-rotational: the part cannot be turned"
        return _infeasible(process, material, machine, lot_size, reason, used)
    if parts_per_build is not None and not conventional:
        capacity = parts_per_build
    else:
        capacity = parts_per_job(features, machine, process)
    if capacity < 1:
        size = " x ".join(f"{x:.1f}" for x in features.extents)
        room = f"{machine.bld_size_x:g} x {machine.bld_size_y:g} x {machine.bld_size_z:g}"
        what = f"the press of {machine.mac_name}" if process.family == "moulding" else machine.mac_name
        reason = f"part {size} mm does not fit {what} ({room} mm)"
        return _infeasible(process, material, machine, lot_size, reason, used)
    ctx = JobContext(features, material, machine, process, config, layers, lot_size, print_time)
    model = FAMILIES[process.family]
    if conventional:
        capacity = min(lot_size, config.production_batch or lot_size)

    def calibrated(job: JobEstimate) -> JobEstimate:
        return _calibrated(job, machine.time_factor) if machine.time_factor != 1.0 else job

    if used == "shared":
        full = calibrated(model(ctx, capacity))
        jobs = [_scaled(full, lot_size / capacity)]
        n_jobs = lot_size / capacity
        wall_h = math.ceil(n_jobs - 1e-9) * full.machine_h  # the order waits for whole shared builds
        first_job_h = full.machine_h
    else:
        n_full, rest = divmod(lot_size, capacity)
        whole = [calibrated(model(ctx, capacity))] if n_full else []
        jobs = whole * n_full + ([calibrated(model(ctx, rest))] if rest else [])
        n_jobs = float(len(jobs))
        wall_h = sum(j.machine_h for j in jobs)
        first_job_h = jobs[0].machine_h
    rate = hourly_rate(machine, config)
    machine_h = sum(j.machine_h for j in jobs)
    machine_labour_h = sum(j.labour_h for j in jobs)
    main = rate * machine_h + sum(j.fixed_cost for j in jobs) + machine_labour_h * config.technician_hr
    material_cost = sum(j.material_cost for j in jobs)
    tooling = jobs[0].tooling_cost
    additive = process.tech == "additive_manufacturing"
    prep_h = process.data_prep_h + n_jobs * process.job_prep_h if additive else 0.0
    pre = prep_h * config.am_expert_hr + tooling
    post_part_h = post_hours_per_part(process.post_steps, features.support_area, features.area)
    post_job_h = sum(s.labour_h_per_job for s in process.post_steps)
    post_job_cost = sum(s.cost_per_job for s in process.post_steps)
    post = lot_size * post_part_h * config.technician_hr + n_jobs * (
        post_job_h * config.technician_hr + post_job_cost
    )
    good = 1.0 - process.failure_rate
    lot_cost = (main + material_cost + pre + post) / good
    part_cost = lot_cost / lot_size
    in_first_job = min(capacity, lot_size)
    labour_pl = machine_labour_h + prep_h + lot_size * post_part_h + n_jobs * post_job_h
    kwh = machine.power_consumption * machine_h
    co2 = kwh * config.grid_factor + (
        sum(j.material_kg for j in jobs) * material.co2_kg_per_kg if config.include_material_co2 else 0.0
    )
    hours_per_day = 24.0 if additive else max(config.conventional_hours_per_day, 1e-9)
    build_days = wall_h / hours_per_day + (
        machine.mac_idl_t_pj / 24.0 if process.family == "pbf_polymer" else 0.0
    )
    post_days = sum(s.calendar_days for s in process.post_steps)
    lead = process.queue_days + process.tooling_days + build_days + post_days + config.ship_days
    notes = tuple(dict.fromkeys(n for j in jobs for n in j.notes))
    return ChainEstimate(
        process=process.prc_acronym,
        material=material.mat_name,
        machine=machine.mac_name,
        lot_size=lot_size,
        parts_per_job=capacity,
        jobs=math.ceil(n_jobs - 1e-9),
        cost_per_part=part_cost,
        cost_per_job=part_cost * in_first_job,
        cost_per_lot=lot_cost,
        main_process_cost=main / good / lot_size,
        material_cost=material_cost / good / lot_size,
        pre_process_cost=pre / good / lot_size,
        post_process_cost=post / good / lot_size,
        machine_h_pp=machine_h / lot_size,
        machine_h_pj=first_job_h,
        machine_h_pl=machine_h,
        labour_h_pp=labour_pl / lot_size,
        labour_h_pj=labour_pl / lot_size * in_first_job,
        labour_h_pl=labour_pl,
        leadtime_days=max(1, math.ceil(lead - 1e-9)),
        co2_kg_pp=co2 / lot_size,
        market_price_pp=part_cost * (1.0 + config.overhead + config.margin_default),
        machine_rate=rate,
        feasible=True,
        reason="",
        notes=notes,
        nesting=used,
    )


def _calibrated(job: JobEstimate, factor: float) -> JobEstimate:
    """Build time scaled by a calibration factor; the machine and operator time follow it."""
    extra = (factor - 1.0) * job.build_h
    return dataclasses.replace(job, build_h=job.build_h * factor, machine_h=job.machine_h + extra)


def _scaled(job: JobEstimate, share: float) -> JobEstimate:
    """A full job's cost shared by ``share`` of it (tooling stays whole)."""
    return JobEstimate(
        job.parts,
        job.build_h * share,
        job.machine_h * share,
        job.labour_h * share,
        job.material_cost * share,
        job.material_kg * share,
        job.fixed_cost * share,
        job.tooling_cost,
        job.notes,
    )
