"""Quote a part on a makeready server with the SDK: every process chain, cheapest first.

Uses the server at MAKEREADY_URL (signed in with MAKEREADY_USER / MAKEREADY_PASSWORD), or
starts a throw-away local one (``LocalServer``) when MAKEREADY_URL is not set.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from pathlib import Path

from makeready.client import Client, LocalServer

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def main() -> None:
    with ExitStack() as stack:
        if "MAKEREADY_URL" in os.environ:
            client = stack.enter_context(Client.from_env())
        else:
            server = stack.enter_context(LocalServer())
            client = stack.enter_context(server.client())
        report = client.analyze(SAMPLE, mat_name="PA12", prc_acronym="sls", lot_size=50)
        size = f"{report.bb_x:.1f} x {report.bb_y:.1f} x {report.bb_z:.1f} mm"
        print(f"{report.name}: {size}, {report.part_vol:.2f} cm3")
        for chain in report.chains():
            verdict = "ok" if chain.feasible else f"infeasible ({chain.infeasible_reason})"
            cost = (
                f"{chain.cost.cost_pp:8.2f} EUR/part"
                if chain.cost.cost_pp is not None
                else "       - EUR/part"
            )
            co2 = f"{chain.co2_pp or 0:5.2f} kg CO2e"
            print(f"  {chain.name:<22} {cost}  {chain.leadtime or 0:3d} days  {co2}  {verdict}")
        best = report.chains(feasible_only=True)[0]
        print(f"cheapest: {best.name} on {best.machine_name}, {best.cost.cost_pp:.2f} EUR per part")
        simple = client.simplified(report.part_id)
        print(f"simplified: cost_pp={simple.cost_pp:.2f} fits_mac={simple.fits_mac}")


if __name__ == "__main__":
    main()
