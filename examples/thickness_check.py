"""Measure wall thickness and gaps, find the thin places, and check a material's design rules.

Run: python examples/thickness_check.py [FILE] [MATERIAL]. Without a file it builds a bracket
from two plates 0.4 mm apart, one of them only 0.7 mm thick, and checks it for PA12 (SLS).
"""

from __future__ import annotations

import sys

import numpy as np

import makeready
from makeready import catalog


def plate(size, corner, name):
    """An axis-aligned box as a body (mm)."""
    lo = np.asarray(corner, float)
    hi = lo + np.asarray(size, float)
    corners = np.array([[x, y, z] for z in (lo[2], hi[2]) for y in (lo[1], hi[1]) for x in (lo[0], hi[0])])
    faces = [[0, 2, 3], [0, 3, 1], [4, 5, 7], [4, 7, 6], [0, 1, 5], [0, 5, 4],
             [1, 3, 7], [1, 7, 5], [3, 2, 6], [3, 6, 7], [2, 0, 4], [2, 4, 6]]  # fmt: skip
    return makeready.Body(name, corners, np.array(faces))


def sample_part() -> makeready.Part:
    base = plate((60, 40, 3.0), (0, 0, 0), "base")
    lid = plate((60, 40, 0.7), (0, 0, 3.4), "lid")  # 0.4 mm above the base, 0.7 mm thick
    return makeready.Part((base, lid), "example", name="bracket")


def main(part: makeready.Part, material_name: str) -> None:
    material = catalog.material(material_name)
    report = makeready.measure(
        part, thin_below=material.t_lim_min or 1.0, narrow_below=material.gap_lim_min or 0.5
    )
    gap = "none" if report.gap_min is None else f"{report.gap_min:.3f} mm"
    print(f"{part.name}: t_min={report.t_min:.3f} mm t_max={report.t_max:.3f} mm gap_min={gap}")
    for region in report.thin_walls[:3]:
        x, y, z = region.worst
        print(f"  thin wall {region.value:.3f} mm over {region.area:.0f} mm2 at ({x:.1f}, {y:.1f}, {z:.1f})")
    for region in report.narrow_gaps[:3]:
        print(f"  narrow gap {region.value:.3f} mm over {region.area:.0f} mm2")
    machine = catalog.machine(material.default_machine_name) if material.default_machine_name else None
    feasibility = makeready.check_design(part, report, material, machine)
    verdict = "passes" if feasibility.passed else "fails " + ", ".join(feasibility.failures)
    print(f"{material.mat_name} on {machine.mac_name if machine else 'any machine'}: {verdict}")


if __name__ == "__main__":
    chosen = makeready.load(sys.argv[1]) if len(sys.argv) > 1 else sample_part()
    main(chosen, sys.argv[2] if len(sys.argv) > 2 else "PA12")
