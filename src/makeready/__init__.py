"""makeready: manufacturing analysis and 3D-print preparation.

The library facade. Read a part with :func:`load` (STL, OBJ, 3MF, PLY, OFF, STEP or a zip of
them; units converted to mm) and write one with :func:`save`.
"""

from makeready.errors import ERROR_CODES, MakereadyError
from makeready.geometry.formats import load, save, sniff
from makeready.geometry.mesh import Body, Part
from makeready.limits import LoadLimits

__all__ = [
    "ERROR_CODES",
    "Body",
    "LoadLimits",
    "MakereadyError",
    "Part",
    "__version__",
    "load",
    "save",
    "sniff",
]
__version__ = "0.1.0"
