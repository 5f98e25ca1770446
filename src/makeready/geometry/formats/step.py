"""STEP (ISO 10303-21) through OpenCascade (the OCP bindings).

Every solid stays its own body, named after its product in the file. OpenCascade runs in a
child process (:mod:`~makeready.geometry.formats.step_worker`) with a memory and time limit,
so a STEP that crashes or floods the kernel fails with ``step.invalid`` instead of taking the
caller down. The child welds each solid's faces along the B-rep's shared edges (a closed solid
gives a closed mesh) and measures the B-rep's exact volume, area and centre of mass, which
each body carries as :class:`~makeready.geometry.mesh.BrepProperties`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any

import numpy as np

from makeready.errors import MakereadyError
from makeready.geometry.formats import step_worker
from makeready.geometry.formats.common import ReadResult
from makeready.geometry.mesh import Body, BrepProperties

__all__ = ["looks_like_step", "read_step"]

#: What the child's last words say when its address-space limit was hit.
_OUT_OF_MEMORY = ("MemoryError", "bad_alloc", "failed to map segment", "cannot allocate memory")

#: What the child's exit statuses mean.
_WHY = {
    3: "found no shape",
    4: "could not parse the file",
    -6: "aborted (out of memory)",
    -9: "was killed (out of time or memory)",
    -11: "crashed (segmentation fault)",
}


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
    with tempfile.TemporaryDirectory(prefix="makeready-step-") as folder:
        source = os.path.join(folder, "part.step")
        target = os.path.join(folder, "part.npz")
        with open(source, "wb") as handle:
            handle.write(data)
        # -P and the file's path: the child imports OpenCascade and numpy, not this package.
        command = [sys.executable, "-P", step_worker.__file__, source, target,
                   repr(tolerance), repr(angular_tolerance), str(max_memory_bytes)]  # fmt: skip
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise MakereadyError(
                "step.invalid", f"OpenCascade did not finish within {timeout_s:g} s"
            ) from None
        if done.returncode == 0 and os.path.exists(target):
            bodies = _bodies(target, tolerance)
        else:
            tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            if "No module named 'OCP'" in tail[0]:
                raise MakereadyError("step.unavailable", "install cadquery-ocp-novtk to read STEP files")
            why = _WHY.get(done.returncode, f"failed (exit status {done.returncode})")
            if any(sign in tail[0] for sign in _OUT_OF_MEMORY):
                why = f"ran out of memory (limit {max_memory_bytes >> 20} MiB)"
            raise MakereadyError("step.invalid", f"OpenCascade {why} reading the STEP file {tail[0]}".strip())
    closed = sum(1 for b in bodies if b.brep is not None and b.brep.closed)
    notes = [
        f"tessellated by OpenCascade: {tolerance} mm linear, {angular_tolerance} rad angular tolerance;"
        " faces welded along the B-rep edges",
        f"{closed} of {len(bodies)} bodies are closed B-rep solids (exact volume, area and centre of mass"
        " from OpenCascade)",
    ]
    return ReadResult(bodies, "step", units="millimeter", units_applied=True, notes=notes)


def _bodies(path: str, tolerance: float) -> list[Body]:
    """The bodies the child wrote (``step_worker``'s ``.npz``)."""
    with np.load(path, allow_pickle=False) as archive:
        meta: list[dict[str, Any]] = json.loads(str(archive["meta"]))
        bodies = []
        for i, entry in enumerate(meta):
            centre = entry["center"]
            brep = BrepProperties(
                bool(entry["closed"]),
                float(entry["area"]),
                None if entry["volume"] is None else float(entry["volume"]),
                None if centre is None else (float(centre[0]), float(centre[1]), float(centre[2])),
                tolerance,
            )
            name = str(entry["name"]) or f"solid {i + 1}"
            bodies.append(Body(name, archive[f"v{i}"], archive[f"f{i}"], brep))
    return bodies
