"""STEP (ISO 10303-21) through OpenCascade, via cascadio's tessellation to GLB.

Every solid stays its own body. OpenCascade runs in a child process (``step_worker``) with a
memory and time limit, so a STEP that crashes or floods the kernel fails with ``step.invalid``
instead of taking the caller down. cascadio takes its tolerance in mm and writes metres; the
GLB corners are welded exactly by position, because OpenCascade emits per-face vertex copies
that would otherwise leave each B-rep face a separate shell.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np

from makeready.errors import MakereadyError
from makeready.geometry.formats.common import ReadResult, compact
from makeready.geometry.merge import merge_exact
from makeready.geometry.mesh import Body

__all__ = ["looks_like_step", "read_step"]

_M_TO_MM = 1000.0


def looks_like_step(data: bytes) -> bool:
    """True when the file opens with the ISO 10303-21 magic."""
    return data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")[:12] == b"ISO-10303-21"


def read_step(
    data: bytes,
    *,
    tolerance: float = 0.01,
    angular_tolerance: float = 0.5,
    max_memory_bytes: int = 8 << 30,
    timeout_s: float = 300.0,
) -> ReadResult:
    """Tessellate a STEP file.

    Parameters
    ----------
    data : bytes
        The STEP file.
    tolerance : float, mm
        Largest distance between the exact surface and its triangles (linear deflection).
    angular_tolerance : float, radians
        Largest angle between neighbouring triangles' normals on a curved face.
    max_memory_bytes : int
        Address-space limit of the OpenCascade child process.
    timeout_s : float, s
        Wall-clock limit of the OpenCascade child process.

    """
    if not (1e-4 <= tolerance <= 10.0) or not (0.01 <= angular_tolerance <= 1.5):
        raise MakereadyError(
            "step.invalid", "STEP tolerance must be 0.0001-10 mm and angular tolerance 0.01-1.5 rad"
        )
    try:
        import trimesh
    except ImportError:  # pragma: no cover - trimesh is a core dependency
        raise MakereadyError("step.unavailable", "install trimesh and cascadio to read STEP files") from None
    with tempfile.TemporaryDirectory(prefix="makeready-step-") as folder:
        source = os.path.join(folder, "part.step")
        target = os.path.join(folder, "part.glb")
        with open(source, "wb") as handle:
            handle.write(data)
        command = [sys.executable, "-m", "makeready.geometry.formats.step_worker", source, target,
                   repr(tolerance), repr(angular_tolerance), str(max_memory_bytes)]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise MakereadyError(
                "step.invalid", f"OpenCascade did not finish within {timeout_s:g} s"
            ) from None
        if done.returncode != 0 or not os.path.exists(target) or os.path.getsize(target) == 0:
            why = "found no shape" if done.returncode == 3 else f"failed (exit status {done.returncode})"
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            raise MakereadyError("step.invalid", f"OpenCascade {why} reading the STEP file {tail[0]}".strip())
        try:
            scene: Any = trimesh.load(target, force="scene", process=False)
        except Exception as exc:  # a GLB from cascadio that trimesh cannot read is a STEP problem
            raise MakereadyError("step.invalid", f"the tessellated STEP could not be read: {exc}") from None
    bodies = []
    for node in scene.graph.nodes_geometry:
        transform, geometry_name = scene.graph[node]
        mesh = scene.geometry[geometry_name]
        if not hasattr(mesh, "faces") or len(mesh.faces) == 0:
            continue
        vertices = np.asarray(mesh.vertices, np.float64) @ transform[:3, :3].T + transform[:3, 3]
        vertices *= _M_TO_MM
        first, inverse = merge_exact(vertices)
        faces = inverse[np.asarray(mesh.faces, np.int64)]
        verts, faces, _ = compact(vertices[first], faces)
        bodies.append(Body(str(node), verts, faces))
    notes = [
        f"tessellated by OpenCascade: {tolerance} mm linear, {angular_tolerance} rad angular tolerance",
        "exact B-rep volume not available (cascadio exposes the tessellation only)",
    ]
    return ReadResult(bodies, "step", units="millimeter", units_applied=True, notes=notes)
