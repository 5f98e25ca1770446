"""The chain's cost as the orientation objective, and the machine a chain is priced on.

The orientation search (:func:`makeready.geometry.orientation.orient`) ranks build
orientations by a callable objective; this module supplies the one that ranks them the way a
bureau would: the cost per part of the chain in that orientation, from the same cost engine
as the quote (support material and its removal, build height and layers, machine time,
parts per build, post-processing). Candidates no machine of the chain takes are ranked after
every one that fits (:data:`NO_FIT_PENALTY` plus the support volume and height, so they still
come out in a sensible order).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from makeready.catalog import Catalog, CostingConfig, Machine, Material, Process
from makeready.costing.chain import Nesting, estimate_chain
from makeready.costing.features import PartFeatures, part_features
from makeready.errors import MakereadyError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from makeready.geometry.metrics import Metrics
    from makeready.geometry.supports import SupportPlan

__all__ = ["NO_FIT_PENALTY", "catalog_objective", "cost_objective", "machine_for"]

#: Added to the score of an orientation that no machine of the chain takes (EUR per part):
#: larger than any real part cost, so every fitting orientation ranks first.
NO_FIT_PENALTY = 1.0e12


def machine_for(
    machines: Sequence[Machine], process: Process, material: Material, features: PartFeatures
) -> tuple[Machine, int | None]:
    """The material's default machine, else the first the part fits, with its parts per build.

    Returns the first machine and ``None`` when no machine takes the part as oriented.

    Raises
    ------
    MakereadyError
        ``catalog.not_found`` when the process has no machine.

    """
    from makeready.costing.jobs import parts_per_job

    if not machines:
        raise MakereadyError("catalog.not_found", f"no machine for process {process.prc_acronym}")
    default = [m for m in machines if m.mac_name == material.default_machine_name]
    ordered = default + [m for m in machines if m not in default]
    for machine in ordered:
        capacity = parts_per_job(features, machine, process)
        if capacity > 0:
            return machine, capacity
    return ordered[0], None


def cost_objective(
    metrics: Metrics,
    machines: Sequence[Machine],
    process: Process,
    material: Material,
    config: CostingConfig,
    lot_size: int,
    *,
    nesting: Nesting,
    wall: float | None = None,
    hull: npt.NDArray[np.float64] | None = None,
) -> Callable[[SupportPlan], float]:
    """``score(plan)``: EUR per part of the chain with the part built as ``plan`` places it.

    Parameters
    ----------
    metrics : Metrics
        Size and shape of the part.
    machines : sequence of Machine
        The machines the chain may use (the material's default first, as the quote picks).
    process, material, config
        Catalog records of the chain.
    lot_size : int
        Parts ordered; with ``nesting="shared"`` one part's share of a full build.
    nesting : {"alone", "shared"}
        The lot's own builds, or one part's share of a full build.
    wall : float, mm, optional
        Governing wall thickness (moulding cooling; unused by additive processes).
    hull : (k, 3) float64, optional
        Convex hull points, for the footprint outline and parts per build.

    """

    def score(plan: SupportPlan) -> float:
        features = part_features(metrics, plan, wall=wall, hull=hull)
        machine, capacity = machine_for(machines, process, material, features)
        if capacity is None:
            return NO_FIT_PENALTY + plan.support_volume + plan.build_height
        estimate = estimate_chain(
            features,
            material,
            machine,
            process,
            config,
            lot_size,
            layers=plan.layer_count,
            nesting=nesting,
            parts_per_build=capacity,
        )
        if not estimate.feasible:
            return NO_FIT_PENALTY + plan.support_volume + plan.build_height
        return float(estimate.cost_per_part)

    return score


def catalog_objective(
    metrics: Metrics,
    catalog: Catalog,
    process: str,
    material: str | None = None,
    lot_size: int = 1,
    *,
    nesting: Nesting | None = None,
) -> tuple[Callable[[SupportPlan], float], Material]:
    """:func:`cost_objective` for a process acronym and material name from ``catalog``.

    ``material`` defaults to the first the process offers; ``nesting`` to the costing
    configuration's. Returns the objective and the material it prices.

    Raises
    ------
    MakereadyError
        ``catalog.not_found`` for unknown names; ``request.invalid`` when the material is not
        offered for the process.

    """
    record = catalog.process(process)
    offered = catalog.materials_for(record.prc_acronym)
    chosen = catalog.material(material) if material else (offered[0] if offered else None)
    if chosen is None or not chosen.serves(record.prc_acronym):
        names = ", ".join(m.mat_name for m in offered)
        raise MakereadyError("request.invalid", f"material not offered for {record.prc_acronym}: {names}")
    style: Nesting = nesting or catalog.config.nesting
    objective = cost_objective(
        metrics,
        catalog.machines_for(record.prc_acronym),
        record,
        chosen,
        catalog.config,
        lot_size,
        nesting=style,
    )
    return objective, chosen
