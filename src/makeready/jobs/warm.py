"""Loaded once by the job fork server, so each job's process starts warm.

A job's process is forked from the fork server (:mod:`makeready.jobs.isolation`) and inherits
everything loaded there. What the task code loads lazily on first use would otherwise be
loaded again in every job: the compiled-kernel runtime and the kernels numba has cached on
disk, the ray and Boolean libraries, the SQLite driver, the material and machine catalog. On a
20 mm cube's analysis that is 0.6 s of a 1.4 s job. This module loads them by importing it.

It starts no thread of its own (a fork copies only the forking thread, so a thread pool built
here would be dead in every child): no ray scene is built, no Boolean is run.
"""

from __future__ import annotations

import contextlib
import gc
import importlib

import numpy as np

__all__ = ["warm"]

#: Modules the task code imports only when first needed.
LAZY_MODULES = (
    "sqlite3",
    "yaml",
    "numba",
    "scipy.spatial",
    "shapely",
    "trimesh",
    "manifold3d",
    "embreex.rtcore_scene",
    "fast_simplification",
    "makeready.geometry._topology_kernels",
    "makeready.geometry._bvh_kernels",
    "makeready.geometry._exact_kernels",
    "makeready.geometry.formats._xml_mesh_kernels",
)


def warm() -> None:
    """Import the lazy modules and load the compiled kernels and the catalog once.

    A failure here costs each job the time it would have saved, nothing more: it is logged,
    never raised (the fork server would not start). Last, every object made so far moves to the
    collector's permanent generation (:func:`gc.freeze`, as the Python documentation advises
    before forking workers): a job's process then never walks the millions of objects of the
    loaded libraries in a full collection (tens of milliseconds, and a copy of every page it
    touches).
    """
    try:
        _load()
    except Exception:
        import structlog

        structlog.get_logger("makeready.jobs").warning("job process warm-up failed", exc_info=True)
    gc.collect()
    gc.freeze()


def _load() -> None:
    for name in LAZY_MODULES:
        with contextlib.suppress(ImportError):  # optional extras (a build without Embree)
            importlib.import_module(name)
    from makeready.catalog import materials
    from makeready.geometry.mesh import Body
    from makeready.geometry.problems import analyze_body

    materials()
    # Two unit tetrahedra that cross each other: edges, fans, shells, orientation and the
    # intersection kernels all run, so numba loads their machine code now.
    tetra = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=np.float64)
    faces = np.array([[0, 2, 1], [0, 1, 3], [0, 3, 2], [1, 2, 3]], dtype=np.int64)
    vertices = np.vstack([tetra, tetra * 0.8 + 0.1])
    analyze_body(Body("warm-up", vertices, np.vstack([faces, faces + 4])))


warm()
