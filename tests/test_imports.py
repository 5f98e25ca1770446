"""Start-up stays light: importing the package loads none of the heavy libraries.

Guarded by counting what is imported, not by timing (issue 23): every CLI call, worker start and
``import makeready.errors`` pays for what the facade imports.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("numpy", "scipy", "shapely", "manifold3d", "trimesh", "fastapi", "sqlalchemy", "celery", "rich")


def _loaded(statement: str) -> list[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout))


def test_importing_the_package_loads_no_heavy_library() -> None:
    modules = _loaded("import makeready")
    assert not [m for m in modules if m.split(".")[0] in HEAVY]
    assert len(modules) < 120  # the interpreter's own ~60 plus the facade


def test_the_facade_still_gives_every_name_on_first_use() -> None:
    import makeready

    for name in makeready.__all__:
        assert getattr(makeready, name) is not None, name
    assert "load" in dir(makeready)
    modules = _loaded("import makeready; makeready.MakereadyError")
    assert "numpy" not in modules  # the error type needs nothing heavy
