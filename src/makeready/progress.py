"""Progress of long work: one callback shape, ``progress(fraction, stage)``, everywhere.

``fraction`` runs 0..1 over the call (a caller that drives several steps scales it); ``stage``
is a :class:`Stage`, a string enum, so job tables, the APIs' progress fields and the CLI's bar
show its value ("wall thickness") and stay plain JSON. A label that is not a stage (a batch
item's file name in the CLI's bar) is a plain string in the same place.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

__all__ = ["NO_PROGRESS", "Progress", "Stage"]


class Stage(StrEnum):
    """A named step of a workflow or job (its value is what users read)."""

    READING = "reading"
    LOADED = "loaded"
    MESH_CHECKS = "mesh checks"
    ANALYSING = "analysing"
    REPAIRING = "repairing"
    WALL_THICKNESS = "wall thickness"
    ORIENTING = "orienting"
    SUPPORTS = "supports"
    COSTING = "costing"
    DESIGN_RULES = "design rules"
    REPORT = "report"
    DISPLAY = "display"
    DRAWING = "drawing"
    # The trays' states, in the order 3D Print API's preparation reaches them.
    CREATED = "created"
    REPAIRED = "repaired"
    ORIENTED = "oriented"
    POSITIONED = "positioned"
    SUPPORTED = "supported"
    SLICING = "slicing"
    RAW_FILE = "raw file"
    TRANSLATING = "translating"
    WRITING = "writing"
    STORING = "storing"


#: ``progress(fraction, stage)``: fraction 0..1 of the call done, at the start of ``stage``'s work or its end.
Progress = Callable[[float, Stage], None]


def NO_PROGRESS(fraction: float, stage: Stage) -> None:  # noqa: N802 - a constant callable
    """A progress callback that reports nowhere."""
