"""Prepare a part on a Prusa MK4 tray and print it on a real printer driven by OctoPrint.

    OCTOPRINT_URL=http://octopi.local OCTOPRINT_API_KEY=... python examples/print_on_octoprint.py part.stl

Uses the makeready server at MAKEREADY_URL (signed in with MAKEREADY_USER / MAKEREADY_PASSWORD),
or starts a throw-away local one when MAKEREADY_URL is not set. The OctoPrint key is sent to the
makeready server once, stored there encrypted and never returned.
"""

from __future__ import annotations

import os
import sys
from contextlib import ExitStack
from pathlib import Path

from makeready.client import Client, LocalServer

SAMPLE = Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def main(part: Path) -> None:
    with ExitStack() as stack:
        if "MAKEREADY_URL" in os.environ:
            client = stack.enter_context(Client.from_env())
        else:
            server = stack.enter_context(LocalServer())
            client = stack.enter_context(server.client())
        printer = client.register_printer(
            "my MK4", os.environ["OCTOPRINT_URL"], os.environ["OCTOPRINT_API_KEY"], printer_type="Prusa MK4"
        )
        print(f"printer {printer.printer_name}: {printer.connection['server']}")
        tray = client.prepared_tray("Prusa MK4", [part])
        printable, gcode = client.printable(tray.id, part.with_suffix(".gcode").name)
        print(f"tray {tray.state}: {printable.summary['layers']} layers, wrote {gcode}")
        job = client.start_print(printer.id, tray_id=tray.id, job_name=part.stem)
        print(f"job {job.job_name}: {job.job_status}")
        shown: set[int] = set()

        def report(fraction: float, stage: str) -> None:
            tenth = int(fraction * 10)
            if tenth not in shown:
                shown.add(tenth)
                print(f"  {stage} {100 * fraction:.0f} %")

        done = client.wait_print(job.id, progress=report)
        print(f"job {done.job_name}: {done.job_status}")
        client.delete_printer(printer.id)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SAMPLE)
