"""makeready: manufacturing analysis and 3D-print preparation.

The library facade. Read a part with :func:`load` (STL, OBJ, 3MF, PLY, OFF, STEP or a zip of
them; units converted to mm) and write one with :func:`save`.
Check it with :func:`analyze` and fix it with :func:`repair`. Measure wall thickness and gaps
with :func:`measure` and check them against a material with :func:`check_design`. Choose a
build orientation with :func:`orient`; estimate supports with :func:`plan_supports` and build
them with :func:`support_geometry`. Cost every process chain and get 3D Spark API's report with
:func:`run_analysis`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for type checkers; at run time each loads on first use
    from makeready.errors import ERROR_CODES, MakereadyError
    from makeready.geometry.analysis import AnalysisReport, analyze
    from makeready.geometry.design_rules import BuildVolume, Feasibility, check_design
    from makeready.geometry.formats import load, save, sniff
    from makeready.geometry.mesh import Body, Part
    from makeready.geometry.orientation import Orientation, orient
    from makeready.geometry.prepared import PreparedPart
    from makeready.geometry.repair import RepairReport, repair
    from makeready.geometry.supports import SupportPlan, plan_supports, support_geometry
    from makeready.geometry.thickness import ThicknessReport, measure
    from makeready.limits import LoadLimits
    from makeready.rendering.spark import analysis_report
    from makeready.workflows.quote import QuoteResult, run_analysis

#: Where each public name lives. Importing the package loads none of them: ``import makeready``
#: (and every CLI call, worker start and ``import makeready.errors``) stays light, and the heavy
#: libraries (scipy, shapely, manifold3d, trimesh, the costing engine) load when first used.
_EXPORTS = {
    "ERROR_CODES": "makeready.errors",
    "MakereadyError": "makeready.errors",
    "AnalysisReport": "makeready.geometry.analysis",
    "analyze": "makeready.geometry.analysis",
    "BuildVolume": "makeready.geometry.design_rules",
    "Feasibility": "makeready.geometry.design_rules",
    "check_design": "makeready.geometry.design_rules",
    "load": "makeready.geometry.formats",
    "save": "makeready.geometry.formats",
    "sniff": "makeready.geometry.formats",
    "Body": "makeready.geometry.mesh",
    "Part": "makeready.geometry.mesh",
    "Orientation": "makeready.geometry.orientation",
    "orient": "makeready.geometry.orientation",
    "PreparedPart": "makeready.geometry.prepared",
    "RepairReport": "makeready.geometry.repair",
    "repair": "makeready.geometry.repair",
    "SupportPlan": "makeready.geometry.supports",
    "plan_supports": "makeready.geometry.supports",
    "support_geometry": "makeready.geometry.supports",
    "ThicknessReport": "makeready.geometry.thickness",
    "measure": "makeready.geometry.thickness",
    "LoadLimits": "makeready.limits",
    "analysis_report": "makeready.rendering.spark",
    "QuoteResult": "makeready.workflows.quote",
    "run_analysis": "makeready.workflows.quote",
}


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'makeready' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "ERROR_CODES",
    "AnalysisReport",
    "Body",
    "BuildVolume",
    "Feasibility",
    "LoadLimits",
    "MakereadyError",
    "Orientation",
    "Part",
    "PreparedPart",
    "QuoteResult",
    "RepairReport",
    "SupportPlan",
    "ThicknessReport",
    "__version__",
    "analysis_report",
    "analyze",
    "check_design",
    "load",
    "measure",
    "orient",
    "plan_supports",
    "repair",
    "run_analysis",
    "save",
    "sniff",
    "support_geometry",
]
__version__ = "0.1.0"
