"""Analysis and repair benchmarks, side by side with admesh, trimesh and pymeshfix.

Whole-process wall time (interpreter start, imports, load, work), median of 3 runs, on a 1.02 M-
triangle torus knot, a 1.31 M-triangle icosphere and three corpus parts under 100 k triangles
(written as binary STL first, so admesh reads the same triangles). Repair: success rate and time on every
broken mesh of ../shared/testdata. Writes benchmarks/results/analysis.md and analysis.json.
Peers (admesh: Debian package; pymeshfix: PyPI, AGPL) are used here only, never by makeready.
"""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from run import RESULTS, TESTDATA, WORK, whole_process, write_knot

REPEATS = 3
#: Corpus parts under 100 k triangles (issue 23: none may take more than 1 s), relative to
#: ../shared/testdata: many bodies, a coplanar-heavy soup, a plain CAD part.
SMALL_PARTS = {
    "cube_gears 25.7 k, 17 bodies": "3mf-samples/examples/core/cube_gears.3mf",
    "3mfbase14 26.3 k, 4 bodies": "lib3mf/CPP_UnitTests/3mfbase14_materialandcolor2.3mf",
    "rocker-arm 20.1 k": "common-3d-test-models/rocker-arm.obj",
}
WHY_NOT_MET = """Why the targets are not met (measured 2026-12-03): start-up is about 1 s of every run (CLI
0.37 s, scipy.spatial 0.31 s for the hull, numba 0.18 s plus loading its cached kernels), which
alone exceeds the 1 s budget of the small parts (their analysis in process: 0.3-0.5 s). On the
1.3 M sphere the analysis in process is 4.2 s: the self-intersection search is 0.58 s (BVH and
exact fallback compiled; the uniform grid took 4.8 s), the rest are numpy passes over all
corners (orientation by BFS and pointer doubling 0.66 s, metrics 1.0 s of which Qhull 0.35 s,
edges 0.33 s, degenerate faces 0.37 s, shell signs 0.36 s), where admesh makes one pass in C.
The lib3mf part is a soup of overlapping slivers: 374 k intersecting pairs, a million of its
1.5 M candidate pairs need the exact test (12-15 us each, compiled). Timings on this host varied
by 30 % between runs of the same commit this day."""
#: Targets of issue 23: makeready's whole-process time / admesh's.
TARGETS = {"knot 1.02 M": 1.5, "sphere 1.31 M": 3.0}
BROKEN = [
    line
    for line in (Path(__file__).parent.parent / "tests" / "data" / "broken_corpus.txt")
    .read_text()
    .splitlines()
    if line and not line.startswith("#")
]

PY = sys.executable
ANALYZE_CASES = {
    "makeready analyze (all checks + metrics)": [PY, "-m", "makeready", "analyze", "--json", "{path}"],
    "makeready analyze --no-self-intersections": [
        PY, "-m", "makeready", "analyze", "--json", "--no-self-intersections", "{path}",
    ],
    "admesh (all checks)": ["admesh", "{path}"],
    "trimesh merge + watertight + winding + volume": [
        PY, "-c",
        "import sys, trimesh; m = trimesh.load(sys.argv[1]); print(m.is_watertight, m.is_winding_consistent, m.volume)",
        "{path}",
    ],
}  # fmt: skip


def write_sphere(path: Path) -> None:
    import trimesh

    import makeready

    s = trimesh.creation.icosphere(subdivisions=8, radius=50.0)
    makeready.save(makeready.Part((makeready.Body("sphere", s.vertices, s.faces),), "generated"), path, "stl")


def obb_time(path: Path) -> float:
    import makeready
    from makeready.geometry.metrics import convex_hull_points, oriented_box

    v = makeready.load(path).bodies[0].vertices
    t0 = time.perf_counter()
    oriented_box(v, convex_hull_points(v)[0])
    return time.perf_counter() - t0


def evaluate(path: Path, before_volume: float | None, bodies_before: int) -> dict[str, object]:
    """Judge a repaired file with makeready's analysis (same yardstick for every tool)."""
    import makeready

    try:
        part = makeready.load(path)
    except makeready.MakereadyError as exc:
        return {"ok": False, "why": exc.code}
    report = makeready.analyze(part, self_intersections=False)
    volume = report.metrics.volume
    change = None if not before_volume else abs(volume - before_volume) / abs(before_volume)
    ok = report.valid_volume and len(part.bodies) >= bodies_before and (change is None or change < 0.01)
    why = "" if ok else ("not watertight" if not report.watertight else "winding" if not report.winding_consistent
                         else "volume" if (change or 0) >= 0.01 or volume <= 0 else "bodies")  # fmt: skip
    return {"ok": bool(ok), "why": why, "volume_change": change}


def repair_rows() -> dict[str, dict[str, object]]:
    import makeready

    out: dict[str, dict[str, object]] = {}
    tmp = Path(tempfile.mkdtemp())
    for name in BROKEN:
        src = TESTDATA / name
        part = makeready.load(src)
        before = makeready.analyze(part, self_intersections=False)
        # The volume criterion only applies where the input's volume means something.
        ref = abs(before.metrics.volume) if before.winding_consistent and before.watertight else None
        row: dict[str, object] = {}
        stl = tmp / "in.stl"
        makeready.save(part, stl)
        # makeready
        t0 = time.perf_counter()
        fixed, _ = makeready.repair(part, self_intersections=False)
        row["makeready_s"] = time.perf_counter() - t0
        makeready.save(fixed, tmp / "mr.stl")
        row["makeready"] = evaluate(tmp / "mr.stl", ref, len(part.bodies))
        # pymeshfix (one mesh: all bodies merged, as its API takes one)
        try:
            import pymeshfix

            v, f = part.merged()
            t0 = time.perf_counter()
            mf = pymeshfix.MeshFix(np.ascontiguousarray(v, np.float64), np.ascontiguousarray(f, np.int32))
            mf.repair()
            row["pymeshfix_s"] = time.perf_counter() - t0
            out_part = makeready.Part((makeready.Body("meshfix", mf.points, mf.faces),), "generated")
            if len(mf.faces):
                makeready.save(out_part, tmp / "mf.stl")
                row["pymeshfix"] = evaluate(tmp / "mf.stl", ref, len(part.bodies))
            else:
                row["pymeshfix"] = {"ok": False, "why": "empty output"}
        except Exception as exc:  # a peer failing is a result, not a benchmark crash
            row["pymeshfix"] = {"ok": False, "why": f"{type(exc).__name__}"}
        # admesh's fixer
        if shutil.which("admesh"):
            t0 = time.perf_counter()
            subprocess.run(
                ["admesh", "--exact", "--nearby", "--remove-unconnected", "--fill-holes", "--normal-directions",
                 "--normal-values", f"--write-binary-stl={tmp / 'ad.stl'}", str(stl)],
                capture_output=True, check=False,
            )  # fmt: skip
            row["admesh_s"] = time.perf_counter() - t0
            row["admesh"] = evaluate(tmp / "ad.stl", ref, len(part.bodies))
        out[name] = row
    return out


def main() -> None:
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    knot, sphere = WORK / "knot_1m.stl", WORK / "sphere_1m3.stl"
    if not knot.exists():
        write_knot(knot)
    if not sphere.exists():
        write_sphere(sphere)
    cases = {"knot 1.02 M": knot, "sphere 1.31 M": sphere}
    for label, rel in SMALL_PARTS.items():
        source = TESTDATA / rel
        if source.exists():
            import makeready

            target = WORK / (Path(rel).stem + ".stl")
            if not target.exists():
                makeready.save(makeready.load(source), target, "stl")
            cases[label] = target
    timing = {
        label: {name: whole_process(cmd, path, REPEATS) for name, cmd in ANALYZE_CASES.items()}
        for label, path in cases.items()
    }
    obb = {"knot 1.02 M": obb_time(knot), "sphere 1.31 M": obb_time(sphere)}
    repairs = repair_rows()
    tools = ("makeready", "pymeshfix", "admesh")
    success = {
        t: sum(1 for r in repairs.values() if isinstance(r.get(t), dict) and r[t]["ok"]) for t in tools
    }  # type: ignore[index]
    info = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "analysis_whole_process_s": timing,
        "oriented_box_s": obb,
        "repair": repairs,
        "repair_success": success,
        "repair_files": len(repairs),
    }
    (RESULTS / "analysis.json").write_text(json.dumps(info, indent=2, default=float))
    lines = ["# Analysis and repair benchmark", "", f"{info['date']}, {info['machine']}, 2 cores.", ""]
    lines += ["## Full analysis, whole process (median of 3, seconds)", ""]
    lines += ["| tool | " + " | ".join(timing) + " |", "|---|" + "---:|" * len(timing)]
    for name in ANALYZE_CASES:
        lines.append(f"| {name} | " + " | ".join(f"{timing[m][name]:.2f}" for m in timing) + " |")
    lines += ["", "Targets (issue 23): analyze <= 1.5x admesh on the knot, <= 3x on the sphere, no part under",
              "100 k triangles above 1 s.", "", "| part | makeready s | admesh s | ratio | target | met |",
              "|---|---:|---:|---:|---|---|"]  # fmt: skip
    for m in timing:
        ours = timing[m]["makeready analyze (all checks + metrics)"]
        peer = timing[m]["admesh (all checks)"]
        if m in TARGETS:
            target, met = f"<= {TARGETS[m]}x admesh", ours / peer <= TARGETS[m]
        else:
            target, met = "<= 1 s", ours <= 1.0
        lines.append(
            f"| {m} | {ours:.2f} | {peer:.2f} | {ours / peer:.2f}x | {target} | {'yes' if met else 'NO'} |"
        )
    lines += ["", WHY_NOT_MET]
    lines += ["", "Minimum-volume oriented box (in process, hull included): "
              + ", ".join(f"{k} {v:.2f} s" for k, v in obb.items()), ""]  # fmt: skip
    lines += [f"## Repair of {len(repairs)} broken corpus meshes", ""]
    lines += ["Success = watertight, consistently wound, positive volume, every body kept, and |volume change|",
              "< 1 % where the input's volume is defined (closed and consistent). Every output is judged by the",
              "same makeready analysis.", ""]  # fmt: skip
    lines += ["| file | makeready | s | pymeshfix | s | admesh | s |", "|---|---|---:|---|---:|---|---:|"]
    for name, r in repairs.items():
        cells = []
        for t in tools:
            res = r.get(t, {"ok": False, "why": "n/a"})
            cells.append("ok" if res["ok"] else f"FAIL ({res['why']})")  # type: ignore[index]
            cells.append(f"{r.get(t + '_s', float('nan')):.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Success rate: " + ", ".join(f"{t} {success[t]}/{len(repairs)}" for t in tools), ""]
    (RESULTS / "analysis.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
