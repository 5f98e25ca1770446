"""One process chain, priced: jobs for the lot, cost buckets, times, lead time, CO2, price.

Per lot of ``L`` parts with ``N`` parts per job (``nesting="alone"``: jobs hold only this
part, the last one partly filled; ``"shared"``: every part pays ``1/N`` of a full job, as when
a bureau fills the rest of the plate with other orders):

* main = machine rate × machine hours + per-job fixed cost + operator hours on the machine ×
  technician rate;
* material = feedstock of the jobs; pre = data preparation (AM expert, once per lot) and the
  lot's tooling (set-up, CAM, moulds, wax dies);
* post = the process's post steps (per part, per job, per cm² of supported area);
* everything is divided by ``1 - failure_rate`` (Ulan_cost's failure factor [V]);
* market price = cost × (1 + overhead + margin) — the seed sample's price is cost × 1.5 with
  the default overhead 0.3 and margin 0.2;
* lead time (working days) = queue + tooling + machine time of all jobs on one machine +
  post-step calendar days + shipping; CO2 = feedstock × material factor + machine energy ×
  grid factor.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Literal

from makeready.catalog import CostingConfig, Machine, Material, Process
from makeready.costing.features import PartFeatures
from makeready.costing.jobs import parts_per_job
from makeready.costing.model import JobContext, JobEstimate
from makeready.costing.processes import FAMILIES
from makeready.costing.processes.machining import turnable
from makeready.costing.rates import hourly_rate

__all__ = ["ChainEstimate", "estimate_chain"]


@dataclass(frozen=True, slots=True)
class ChainEstimate:
    """A priced process chain (EUR, hours, working days, kg CO2e).

    ``cost_pp``/``cost_pj``/``cost_pl`` are per part, per job and per lot; the ``bd_*``
    buckets are per part and add up to ``cost_pp``; ``feasible`` is False when the part does
    not fit the machine (``reason`` says why).
    """

    process: str
    material: str
    machine: str
    lot_size: int
    parts_pj: int
    n_jobs: int
    cost_pp: float
    cost_pj: float
    cost_pl: float
    bd_main: float
    bd_mat: float
    bd_pre: float
    bd_post: float
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

    @property
    def market_price_pl(self) -> float:
        """Market price of the lot, EUR."""
        return self.market_price_pp * self.lot_size

    @property
    def market_price_pj(self) -> float:
        """Market price of one job, EUR."""
        return self.market_price_pp * min(self.parts_pj, self.lot_size) if self.parts_pj else 0.0


def _infeasible(
    process: Process, material: Material, machine: Machine, lot: int, reason: str
) -> ChainEstimate:
    nan = float("nan")
    costs = (nan,) * 7
    times = (nan,) * 6
    return ChainEstimate(
        process.prc_acronym, material.mat_name, machine.mac_name, lot, 0, 0, *costs, *times, 0, nan, nan, nan,
        False, reason, (),
    )  # fmt: skip


def estimate_chain(
    features: PartFeatures,
    material: Material,
    machine: Machine,
    process: Process,
    config: CostingConfig,
    lot_size: int = 1,
    *,
    layers: int,
    nesting: Literal["alone", "shared"] = "alone",
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
        Layers of one part in its build orientation (``SupportPlan.n_lyr``).
    nesting : {"alone", "shared"}
        Whether jobs hold only this order or are filled up with other work.

    Raises
    ------
    ValueError
        ``lot_size`` below 1 or an unknown cost-model family.

    """
    if lot_size < 1:
        raise ValueError("lot_size must be at least 1")
    if process.family not in FAMILIES:
        raise ValueError(f"no cost model for family {process.family!r}")
    if process.prc_acronym == "turning" and not turnable(tuple(float(x) for x in features.min_box)):
        return _infeasible(
            process, material, machine, lot_size, "not near-rotational: the part cannot be turned"
        )
    capacity = parts_per_job(features, machine, process)
    if capacity < 1:
        size = " x ".join(f"{x:.1f}" for x in features.extents)
        room = f"{machine.bld_size_x:g} x {machine.bld_size_y:g} x {machine.bld_size_z:g}"
        return _infeasible(
            process,
            material,
            machine,
            lot_size,
            f"part {size} mm does not fit {machine.mac_name} ({room} mm)",
        )
    ctx = JobContext(features, material, machine, process, config, layers, lot_size)
    model = FAMILIES[process.family]
    if nesting == "shared":
        full = model(ctx, capacity)
        jobs = [_scaled(full, lot_size / capacity)]
    else:
        n_full, rest = divmod(lot_size, capacity)
        jobs = [model(ctx, capacity)] * n_full + ([model(ctx, rest)] if rest else [])
    if machine.time_factor != 1.0:
        jobs = [_calibrated(j, machine.time_factor) for j in jobs]
    rate = hourly_rate(machine, config)
    machine_h = sum(j.machine_h for j in jobs)
    machine_labour_h = sum(j.labour_h for j in jobs)
    main = rate * machine_h + sum(j.fixed_cost for j in jobs) + machine_labour_h * config.technician_hr
    material_cost = sum(j.material_cost for j in jobs)
    tooling = jobs[0].tooling_cost
    prep_h = process.data_prep_h if process.tech == "additive_manufacturing" else 0.0
    pre = prep_h * config.am_expert_hr + tooling
    support_cm2 = features.support_area / 100.0
    post_part_h = sum(
        max(s.labour_h_per_part + s.labour_h_per_cm2_support * support_cm2, s.min_h_per_part)
        for s in process.post_steps
    )
    n_jobs = math.ceil(lot_size / capacity) if nesting == "alone" else lot_size / capacity
    post_job_h = sum(s.labour_h_per_job for s in process.post_steps)
    post_job_cost = sum(s.cost_per_job for s in process.post_steps)
    post = lot_size * post_part_h * config.technician_hr + n_jobs * (
        post_job_h * config.technician_hr + post_job_cost
    )
    good = 1.0 - process.failure_rate
    cost_pl = (main + material_cost + pre + post) / good
    cost_pp = cost_pl / lot_size
    in_first_job = min(capacity, lot_size)
    labour_pl = machine_labour_h + prep_h + lot_size * post_part_h + n_jobs * post_job_h
    kwh = machine.power_consumption * machine_h
    co2 = kwh * config.grid_factor + (
        sum(j.material_kg for j in jobs) * material.co2_kg_per_kg if config.include_material_co2 else 0.0
    )
    build_days = machine_h / 24.0 + (machine.mac_idl_t_pj / 24.0 if process.family == "pbf_polymer" else 0.0)
    post_days = sum(s.calendar_days for s in process.post_steps)
    lead = process.queue_days + process.tooling_days + build_days + post_days + config.ship_days
    notes = tuple(dict.fromkeys(n for j in jobs for n in j.notes))
    return ChainEstimate(
        process=process.prc_acronym,
        material=material.mat_name,
        machine=machine.mac_name,
        lot_size=lot_size,
        parts_pj=capacity,
        n_jobs=math.ceil(n_jobs),
        cost_pp=cost_pp,
        cost_pj=cost_pp * in_first_job,
        cost_pl=cost_pl,
        bd_main=main / good / lot_size,
        bd_mat=material_cost / good / lot_size,
        bd_pre=pre / good / lot_size,
        bd_post=post / good / lot_size,
        machine_h_pp=machine_h / lot_size,
        machine_h_pj=jobs[0].machine_h,
        machine_h_pl=machine_h,
        labour_h_pp=labour_pl / lot_size,
        labour_h_pj=labour_pl / lot_size * in_first_job,
        labour_h_pl=labour_pl,
        leadtime_days=max(1, math.ceil(lead - 1e-9)),
        co2_kg_pp=co2 / lot_size,
        market_price_pp=cost_pp * (1.0 + config.overhead + config.margin_default),
        machine_rate=rate,
        feasible=True,
        reason="",
        notes=notes,
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
