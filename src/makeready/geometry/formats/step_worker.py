"""Child process that tessellates one STEP file with OpenCascade (cascadio), under limits.

OpenCascade is native code: a hostile or broken STEP can make it crash or allocate without
bound. Running it here, with an address-space limit set before the work starts, keeps that
away from the caller, who sees only an exit status.

Usage: ``python -m makeready.geometry.formats.step_worker IN.step OUT.glb TOL_MM TOL_RAD MAX_BYTES``
"""

from __future__ import annotations

import resource
import sys


def main(argv: list[str]) -> int:
    """Tessellate ``argv[0]`` into GLB ``argv[1]``; exit 0 on success, 3 when nothing was read."""
    source, target, tolerance, angular, max_bytes = argv
    limit = int(max_bytes)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # an unprivileged process can only lower its hard limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY else limit))
    import cascadio

    status = cascadio.step_to_glb(source, target, float(tolerance), float(angular))
    return 0 if status == 0 else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
