"""Start-up stays light: importing the package loads none of the heavy libraries.

Guarded by counting what is imported, not by timing (issue 23): every CLI call, worker start and
``import makeready.errors`` pays for what the facade imports.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"
HEAVY = ("numpy", "scipy", "shapely", "manifold3d", "trimesh", "fastapi", "sqlalchemy", "celery", "rich")


def _loaded(statement: str) -> list[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))  # after what a command printed


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


def test_the_command_line_starts_without_the_geometry_libraries() -> None:
    # Every command registers at start-up; the geometry, costing and service code load when a
    # command runs. `makeready info` then needs NumPy (the readers) and nothing heavier.
    modules = _loaded("import makeready.cli")
    heavy = ("scipy", "shapely", "manifold3d", "trimesh", "embreex", "fastapi", "sqlalchemy", "celery", "PIL")
    assert not [m for m in modules if m.split(".")[0] in heavy]
    loaded = _loaded(
        f"sys.argv = ['makeready', 'info', {str(SAMPLE)!r}]\n"
        "from makeready.cli import app\ntry: app()\nexcept SystemExit: pass"
    )
    assert "numpy" in loaded
    assert not [m for m in loaded if m.split(".")[0] in heavy]
