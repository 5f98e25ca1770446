"""What every process-family model returns for one build job (or one conventional batch)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from makeready.catalog import CostingConfig, Machine, Material, Process
from makeready.costing.features import PartFeatures

__all__ = ["JobContext", "JobEstimate", "PrintTime"]


@dataclass(frozen=True, slots=True)
class PrintTime:
    """One part's print time and deposited volume from its toolpaths (s, mm³).

    ``source`` says where they come from (shown in the chain's notes), e.g. "toolpath
    estimate of the G-code, 60 of 175 layers planned".
    """

    seconds: float
    deposited_mm3: float
    source: str
    #: ``job_seconds(n)``: a build of ``n`` copies, where the parts share the time (a resin
    #: layer is exposed once for every part on it); None: ``n`` x ``seconds``.
    job_seconds: Callable[[int], float] | None = None

    def scaled(self, seconds: float, deposited_mm3: float, why: str) -> PrintTime:
        """The estimate times the given ratios (another orientation of the same part)."""
        job = self.job_seconds
        per_job = None if job is None else (lambda parts: seconds * job(parts))
        return PrintTime(
            self.seconds * seconds, self.deposited_mm3 * deposited_mm3, f"{self.source}; {why}", per_job
        )


@dataclass(frozen=True, slots=True)
class JobContext:
    """Everything a family model may read."""

    features: PartFeatures
    material: Material
    machine: Machine
    process: Process
    config: CostingConfig
    layers: int  # layers of one part in its build orientation
    lot_size: int
    print_time: PrintTime | None = None  # from the printable's estimator, where the family uses it


@dataclass(frozen=True, slots=True)
class JobEstimate:
    """One job of ``parts`` copies (hours, EUR, kg, kWh).

    Attributes
    ----------
    parts : int
    build_h : float
        Printing or cutting time.
    machine_h : float
        Time the machine is occupied (build plus set-up, cool-down, unloading).
    labour_h : float
        Operator time on the machine (set-up, unloading, supervision).
    material_cost, material_kg : float
        Feedstock consumed by the job (parts, supports, waste, refreshed powder).
    fixed_cost : float
        Machine-bound cost per job (gas, filters, plate, consumables).
    tooling_cost : float
        One-off cost for the lot (moulds, wax dies, CAM, fixtures).
    notes : tuple of str
        Assumptions worth showing (e.g. "support volume by the hull rule").

    """

    parts: int
    build_h: float
    machine_h: float
    labour_h: float
    material_cost: float
    material_kg: float
    fixed_cost: float = 0.0
    tooling_cost: float = 0.0
    notes: tuple[str, ...] = field(default=())
