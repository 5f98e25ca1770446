"""The geometry core's names: problem types, repair steps and default limits (no imports).

Kept apart so the command line and the renderers can name them without loading the geometry
code (NumPy, SciPy, Shapely); the modules that use them re-export them.
"""

from __future__ import annotations

__all__ = [
    "ACTION_TITLES",
    "ALL_ACTIONS",
    "ALL_TYPES",
    "DEFAULT_ACTIONS",
    "DEFAULT_NARROW_BELOW",
    "DEFAULT_THIN_BELOW",
    "PROBLEM_TYPES",
]

#: The problem types of 3D Print API, in its order.
PROBLEM_TYPES = (
    "degenerate_triangles",
    "duplicate_triangles",
    "nonmanifold_vertices",
    "duplicate_vertices",
    "inconsistently_oriented_triangles",
    "holes",
    "inverted_volume",
    "unorientable_triangles",
)
ALL_TYPES = (*PROBLEM_TYPES, "self_intersections")

ALL_ACTIONS = (
    "merge",
    "stitch",
    "duplicates",
    "nonmanifold",
    "winding",
    "degenerate",
    "holes",
    "inversion",
    "intersections",
    "decimate",
)
DEFAULT_ACTIONS = tuple(a for a in ALL_ACTIONS if a not in ("intersections",))

#: The API's names for each action (``actions_performed_on_initial_mesh``).
ACTION_TITLES = {
    "merge": "Merging Duplicate Vertices",
    "stitch": "Stitching Nearby Vertices",
    "duplicates": "Removing Duplicate Triangles",
    "nonmanifold": "Splitting Non-manifold Vertices",
    "winding": "Fixing Winding",
    "degenerate": "Removing Degenerate Triangles",
    "holes": "Filling Holes",
    "inversion": "Inverting Flipped Triangles",
    "intersections": "Resolving Self-intersections",
    "decimate": "Mesh Size Reduction",
}

DEFAULT_THIN_BELOW = 1.0  # mm: common minimum wall for polymer powder bed (Materialise PA12 guide)
DEFAULT_NARROW_BELOW = 0.5  # mm: interlocking clearance in the same guide
