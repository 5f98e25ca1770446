"""Costing benchmark: ``makeready quote --json`` (run_analysis across every process chain),
whole process, on a 20 k-triangle and a 1.02 M-triangle torus knot (316L, SLM primary chain).

Writes benchmarks/results/costing.md and costing.json. Run from the benchmarks directory.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

from run import RESULTS, WORK, knot_files, whole_process

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

REPEATS = 3


def main() -> None:
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    small, big = knot_files()
    cmd = [sys.executable, "-m", "makeready", "quote", "--json", "{path}"]
    rows = {}
    for label, path in (("torus knot, 20,000 triangles", small), ("torus knot, 1,024,000 triangles", big)):
        wall = whole_process(cmd, path, REPEATS, check=True)
        report = json.loads(
            subprocess.run(
                [c.replace("{path}", str(path)) for c in cmd], capture_output=True, text=True, check=True
            ).stdout
        )
        chains = {c["prc_acronym"]: c["cost"]["cost_pp"] for c in report["process_chains"].values()}
        rows[label] = {"wall_s": wall, "chains": chains}
    info = {
        "machine": f"{platform.machine()}, {platform.python_version()}, cores={len(os.sched_getaffinity(0))}",
        "target": "<= 10 s whole process for the 1 M part, all chains",
        "rows": rows,
    }
    (RESULTS / "costing.json").write_text(json.dumps(info, indent=2))
    lines = [
        "# Costing benchmark",
        "",
        f"{info['machine']}. Target: {info['target']}.",
        "",
        "`makeready quote --json FILE` (316L, SLM primary; chains slm, bj, milling, turning, casting: mesh checks,",
        "wall thickness, orientation and supports per AM chain, design rules, cost, lead time, CO2, break-even),",
        f"whole process, median of {REPEATS}.",
        "",
        "| part | wall s | EUR per part by chain |",
        "|---|---:|---|",
    ]
    for label, row in rows.items():
        costs = ", ".join(
            f"{k} {v:,.0f}" if v is not None else f"{k} infeasible" for k, v in row["chains"].items()
        )
        lines.append(f"| {label} | {row['wall_s']:.2f} | {costs} |")
    (RESULTS / "costing.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
