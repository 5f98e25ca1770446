"""Calibration from real jobs: recorded actuals adjust an owner's machine parameters.

3D Spark API's process-step feedback gives, for a chain, the actual ``setup_time``,
``process_time`` (h per job), ``unloading_time``, ``machine_hourly_rate``,
``staff_time_factor``, ``leadtime`` and the actual cost per part. :class:`Calibration` keeps
those records with the model's predictions at the time and turns them into owner-scoped
:class:`~makeready.catalog.Override` records for the machine:

* ``time_factor`` = Σ actual process time / Σ predicted build time (scales build time);
* ``mac_cost_ph``, ``setup_time``, ``unloading_time``, ``staff_time_factor``: the mean of the
  actuals given.

Accuracy is reported as WMAPE = Σ|actual − predicted| / Σ|actual| (3D Spark accepts a model
when cost WMAPE < 10 % [3S-VAL]), for the raw predictions and for the predictions scaled by
the fitted time factor.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from makeready.catalog import Override
from makeready.errors import MakereadyError

__all__ = ["Calibration", "Feedback", "per_job", "reported_actuals", "wmape"]


@dataclass(frozen=True, slots=True)
class Feedback:
    """Actuals for one job of one chain (hours, EUR/h, days, EUR) with the predictions then."""

    machine: str
    predicted_process_time: float
    process_time: float
    predicted_cost_per_part: float | None = None
    cost_per_part: float | None = None
    setup_time: float | None = None
    unloading_time: float | None = None
    machine_hourly_rate: float | None = None
    staff_time_factor: float | None = None
    leadtime: float | None = None


def per_job(
    per_part: float | None, per_job_value: float | None, per_lot: float | None, parts_per_job: int, jobs: int
) -> float | None:
    """A quantity per job from whichever of per part, per job or per lot was given.

    Preference: per job as given, then per part x parts per job, then per lot / jobs; None if
    none was given.
    """
    if per_job_value is not None:
        return per_job_value
    if per_part is not None:
        return per_part * parts_per_job
    if per_lot is not None:
        return per_lot / max(jobs, 1)
    return None


def reported_actuals(
    *,
    process_time: float | None,
    machine_time: tuple[float | None, float | None, float | None],
    cost: tuple[float | None, float | None, float | None],
    parts_per_job: int,
    jobs: int,
    lot_size: int,
) -> tuple[float, float | None]:
    """A made job's machine time per job (h) and cost per part (EUR) from what was reported.

    Parameters
    ----------
    process_time : float or None
        Machine time per job as reported (3D Spark API's ``process_time``), h.
    machine_time, cost : (per part, per job, per lot)
        Machine time (h) and cost (EUR) as reported, each possibly None.
    parts_per_job, jobs, lot_size : int
        Of the analysed chain: the other two bases are derived through them.

    Raises
    ------
    MakereadyError
        ``request.invalid`` when no machine time was given at all.

    """
    per_job_time = process_time or per_job(*machine_time, parts_per_job, jobs)
    if per_job_time is None:
        raise MakereadyError(
            "request.invalid", "give the machine time: process_time or mac_t_pp|mac_t_pj|mac_t_pl"
        )
    part_cost, job_cost, lot_cost = cost
    cost_per_job = per_job(part_cost, job_cost, lot_cost, parts_per_job, jobs)
    per_part: float | None = None
    if cost_per_job is not None:
        per_part = part_cost if part_cost is not None else cost_per_job / max(parts_per_job, 1)
    if lot_cost is not None and part_cost is None and job_cost is None:
        per_part = lot_cost / max(lot_size, 1)  # a lot's cost spreads over its parts, not its jobs
    return per_job_time, per_part


def wmape(actual: Sequence[float], predicted: Sequence[float]) -> float | None:
    """Weighted mean absolute percentage error, percent; None without actuals."""
    total = sum(abs(a) for a in actual)
    if not actual or total == 0:
        return None
    return 100.0 * sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / total


@dataclass
class Calibration:
    """Recorded feedback of one owner, and what it implies."""

    owner: str
    records: list[Feedback] = field(default_factory=list)

    def record(self, feedback: Feedback) -> None:
        """Add one job's actuals (predictions must be positive)."""
        if feedback.predicted_process_time <= 0 or feedback.process_time <= 0:
            raise ValueError("process times must be positive")
        self.records.append(feedback)

    def time_factor(self, machine: str) -> float:
        """Σ actual / Σ predicted process time for a machine (1.0 without records)."""
        rows = [r for r in self.records if r.machine == machine]
        predicted = sum(r.predicted_process_time for r in rows)
        return sum(r.process_time for r in rows) / predicted if predicted else 1.0

    def overrides(self) -> list[Override]:
        """Owner-scoped machine overrides implied by the records."""
        out = []
        for machine in dict.fromkeys(r.machine for r in self.records):
            rows = [r for r in self.records if r.machine == machine]
            fields: dict[str, float] = {"time_factor": self.time_factor(machine)}
            for name in ("setup_time", "unloading_time", "staff_time_factor"):
                values = [getattr(r, name) for r in rows if getattr(r, name) is not None]
                if values:
                    fields[name] = sum(values) / len(values)
            rates = [r.machine_hourly_rate for r in rows if r.machine_hourly_rate is not None]
            if rates:
                fields["mac_cost_ph"] = sum(rates) / len(rates)
            out.append(Override("machine", machine, fields, "owner", self.owner))
        return out

    def accuracy(self) -> dict[str, float | int | None]:
        """WMAPE (percent) of process time before and after the time factor, and of cost."""
        times = [
            (r.process_time, r.predicted_process_time, self.time_factor(r.machine)) for r in self.records
        ]
        costs = [
            (r.cost_per_part, r.predicted_cost_per_part)
            for r in self.records
            if r.cost_per_part is not None and r.predicted_cost_per_part
        ]
        return {
            "records": len(self.records),
            "wmape_time_percent": wmape([a for a, _, _ in times], [p for _, p, _ in times]),
            "wmape_time_calibrated_percent": wmape([a for a, _, _ in times], [p * f for _, p, f in times]),
            "wmape_cost_percent": wmape([a for a, _ in costs], [p for _, p in costs]) if costs else None,
        }


def merge(calibrations: Iterable[Calibration]) -> list[Override]:
    """Overrides of several owners' calibrations."""
    return [o for c in calibrations for o in c.overrides()]
