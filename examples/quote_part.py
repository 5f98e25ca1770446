"""Quote a part on every process chain of its material: cost, lead time, CO2, feasibility.

Run: python examples/quote_part.py [FILE] [MATERIAL] [PROCESS] [LOT]. Without a file it quotes a
60 x 40 x 20 mm stainless block with a pocket, 10 pieces, SLM against milling and casting.
"""

from __future__ import annotations

import sys

import manifold3d
import numpy as np

import makeready


def pocket_block() -> makeready.Part:
    block = manifold3d.Manifold.cube((60, 40, 20))
    pocket = manifold3d.Manifold.cube((40, 20, 15)).translate((10, 10, 5))
    mesh = (block - pocket).to_mesh()
    body = makeready.Body("block", np.asarray(mesh.vert_properties)[:, :3], np.asarray(mesh.tri_verts))
    return makeready.Part((body,), "example", name="pocket-block")


def main(part: makeready.Part, material: str, process: str, lot: int) -> None:
    result = makeready.run_analysis(part, material, process, lot)
    print(f"{result.name}: {lot} parts, volume {result.analysis.metrics.volume / 1000:.1f} cm3")
    for chain in result.chains:
        e = chain.estimate
        if e.feasible:
            print(
                f"  {chain.process.prc_acronym:8} {chain.machine.mac_name:24}"
                f" EUR {e.cost_per_part:9.2f}/part "
                f"{e.leadtime_days:3d} days {e.co2_kg_pp:6.2f} kg CO2e"
            )
        else:
            print(f"  {chain.process.prc_acronym:8} infeasible: {e.reason}")
    if result.baseline is not None:
        baseline = result.baseline
        print(f"baseline: {baseline.process.prc_acronym}, EUR {baseline.estimate.cost_per_lot:.2f} per lot")


if __name__ == "__main__":
    args = sys.argv[1:]
    chosen = makeready.load(args[0]) if args else pocket_block()
    material = args[1] if len(args) > 1 else "316L"
    process = args[2] if len(args) > 2 else "slm"
    main(chosen, material, process, int(args[3]) if len(args) > 3 else 10)
