"""makeready: manufacturing analysis and 3D-print preparation.

The library facade. Read a part with :func:`load` (STL, OBJ, 3MF, PLY, OFF, STEP or a zip of
them; units converted to mm) and write one with :func:`save`.
Check it with :func:`analyze` and fix it with :func:`repair`. Measure wall thickness and gaps
with :func:`measure` and check them against a material with :func:`check_design`. Choose a
build orientation with :func:`orient`; estimate supports with :func:`plan_supports` and build
them with :func:`support_geometry`. Cost every process chain and get seed 000's report with
:func:`run_analysis`.
"""

from makeready.errors import ERROR_CODES, MakereadyError
from makeready.geometry.analysis import AnalysisReport, analyze
from makeready.geometry.design_rules import BuildVolume, Feasibility, check_design
from makeready.geometry.formats import load, save, sniff
from makeready.geometry.mesh import Body, Part
from makeready.geometry.orientation import Orientation, orient
from makeready.geometry.repair import RepairReport, repair
from makeready.geometry.supports import SupportPlan, plan_supports, support_geometry
from makeready.geometry.thickness import ThicknessReport, measure
from makeready.limits import LoadLimits
from makeready.pipeline import AnalysisResult, run_analysis

__all__ = [
    "ERROR_CODES",
    "AnalysisReport",
    "AnalysisResult",
    "Body",
    "BuildVolume",
    "Feasibility",
    "LoadLimits",
    "MakereadyError",
    "Orientation",
    "Part",
    "RepairReport",
    "SupportPlan",
    "ThicknessReport",
    "__version__",
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
