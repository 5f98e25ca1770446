"""Orientation benchmark: makeready.orient against an exhaustive search with the same objective.

For a 20 k-triangle and a 1 M-triangle torus knot and an FDM and an SLA process, the exhaustive
search scores 2,562 down directions spread evenly over the sphere (Fibonacci lattice) with the
same objective on the same decimated search copy; makeready's winner is scored the same way.
Reported: both optima, the gap, both times (in-process, after loading) and the whole-process
time of ``makeready orient`` on the 1 M part. Writes benchmarks/results/orientation.md/.json.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from run import RESULTS, WORK, torus_knot, whole_process, write_knot

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from makeready import Body, Part, load
from makeready.geometry import orientation as o
from makeready.geometry.rays import ray_caster
from makeready.geometry.supports import _plan, support_settings
from makeready.geometry.triangles import stack_bodies

EXHAUSTIVE = 2562
PROCESSES = ("fdm", "sla")


def scorer(part: Part, process: str):  # type: ignore[no-untyped-def]
    """The objective orient() uses, on the same search copy, as a function of the down direction."""
    settings = support_settings(process)
    vertices, faces, _ = stack_bodies(part)
    search_v, search_f = o._decimated(vertices, faces)
    scale = abs(o._volume(vertices, faces)) ** (2.0 / 3.0)
    caster = ray_caster(search_v, search_f)

    def score(down: np.ndarray) -> float:
        rotation = o.down_rotation(down)
        turned = o._Turned(caster, rotation)
        plan = _plan(search_v @ rotation.T, search_f, rotation, settings, turned, None, o._SEARCH_SAMPLES)
        return o._score(plan, "balanced", settings, scale, search_v @ rotation.T)

    return score


def compare(part: Part, process: str) -> dict[str, float]:
    start = time.perf_counter()
    best = o.orient(part, process, keep=1)[0]
    ours_s = time.perf_counter() - start
    score = scorer(part, process)
    start = time.perf_counter()
    exhaustive = min(score(d) for d in o._fibonacci(EXHAUSTIVE))
    exhaustive_s = time.perf_counter() - start
    ours = score(best.down)
    return {
        "makeready_score": ours,
        "exhaustive_score": exhaustive,
        "gap_percent": 100.0 * (ours - exhaustive) / abs(exhaustive) if exhaustive else 0.0,
        "makeready_s": ours_s,
        "exhaustive_s": exhaustive_s,
        "speedup": exhaustive_s / ours_s,
        "support_mm3": best.plan.support_volume,
        "height_mm": best.plan.build_height,
    }


def main() -> None:
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    knot = WORK / "knot_1m.stl"
    if not knot.exists():
        write_knot(knot)
    small_v, small_f = torus_knot(200, 50)
    parts = {
        f"torus knot, {len(small_f):,} triangles": Part((Body("knot", small_v, small_f),), "bench"),
        "torus knot, 1,024,000 triangles": load(knot),
    }
    rows = {
        f"{name} | {process}": compare(part, process) for name, part in parts.items() for process in PROCESSES
    }
    cli = whole_process(
        [sys.executable, "-m", "makeready", "orient", "--json", "{path}"], knot, 3, check=True
    )
    info = {
        "machine": f"{platform.machine()}, {platform.python_version()}, cores={len(os.sched_getaffinity(0))}",
        "target": "within 5 % of the exhaustive optimum at >= 20x less time; <= 6 s on the 1 M part",
        "rows": rows,
        "cli_orient_1m_whole_process_s": cli,
    }
    (RESULTS / "orientation.json").write_text(json.dumps(info, indent=2))
    lines = [
        "# Orientation benchmark",
        "",
        f"{info['machine']}. Target: {info['target']}.",
        "",
        f"Exhaustive: {EXHAUSTIVE:,} down directions (Fibonacci sphere), same objective (`balanced`), same",
        "decimated search copy. Times in-process after loading; makeready's includes decimation, the",
        "search and the winner's evaluation on the full mesh.",
        "",
        "| part | process | makeready score | exhaustive optimum | gap % | makeready s | exhaustive s | speed-up |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, row in rows.items():
        name, process = key.split(" | ")
        lines.append(
            f"| {name} | {process} | {row['makeready_score']:,.1f} | {row['exhaustive_score']:,.1f} | "
            f"{row['gap_percent']:+.2f} | {row['makeready_s']:.2f} | {row['exhaustive_s']:.2f} | "
            f"{row['speedup']:.1f}x |"
        )
    lines += [
        "",
        f"`makeready orient --json` on the 1 M-triangle knot, whole process: {cli:.2f} s (median of 3).",
    ]
    (RESULTS / "orientation.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
