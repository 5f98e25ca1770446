"""Slicing benchmark: FDM G-code from makeready, CuraEngine and PrusaSlicer side by side, and nesting.

All three slice the same files with the same settings (0.2 mm layers, 0.45 mm lines, 2 walls,
4 top and bottom layers, 20 % lines infill, speeds 60 / 40 / 20 (first layer) / 150 mm/s,
acceleration 1,000 mm/s², XY jerk 8 mm/s, retraction 0.8 mm, minimum layer time 10 s at no less
than 10 mm/s, 20 % infill lines 2.035 mm apart, no supports, no adhesion), whole process,
median of 3. CuraEngine 4.13 comes from Debian (``cura-engine``); its
``fdmprinter.def.json`` from the ``cura`` package, unpacked without installing its GUI
dependencies. PrusaSlicer 2.5 from Debian (``prusa-slicer``), machine limits used for the time
estimate only. Print time: makeready's ``;TIME:``, CuraEngine's last ``;TIME_ELAPSED``,
PrusaSlicer's "estimated printing time (normal mode)"; filament: the extrusion of each file.
Parts: the calibration cube, the torus knots, and three corpus meshes (repaired by makeready and
scaled to 60-80 mm, the same STL for every slicer).
Nesting: 50 mixed footprints on a 250 x 250 mm plate. Writes results/slicing.md and .json.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from run import RESULTS, TESTDATA, WORK, knot_files, whole_process

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPEATS = 3
CURA_SETTINGS = [
    "machine_width=250", "machine_depth=210", "machine_height=220", "machine_center_is_zero=false",
    "layer_height=0.2", "layer_height_0=0.2", "line_width=0.45", "infill_line_width=0.45", "skin_line_width=0.45",
    "wall_line_width_0=0.45", "wall_line_width_x=0.45", "wall_line_count=2", "top_layers=4", "bottom_layers=4",
    "infill_sparse_density=20", "infill_pattern=lines", "support_enable=false", "adhesion_type=none",
    "speed_print=60", "speed_wall_0=40", "speed_wall_x=40", "speed_topbottom=60", "speed_infill=60",
    "speed_travel=150", "speed_print_layer_0=20", "acceleration_enabled=true", "acceleration_print=1000",
    "acceleration_travel=1000", "machine_acceleration=1000", "acceleration_infill=1000", "acceleration_wall=1000",
    "acceleration_wall_0=1000", "acceleration_wall_x=1000", "acceleration_topbottom=1000",
    "acceleration_print_layer_0=1000", "acceleration_travel_layer_0=1000", "acceleration_roofing=1000",
    "retraction_amount=0.8", "retraction_min_travel=2", "machine_max_jerk_xy=8", "jerk_enabled=false",
    "cool_min_layer_time=10", "cool_min_speed=10",
    # The sparse infill's line distance as makeready and PrusaSlicer space 20 % (the Slic3r flow
    # spacing 0.45 - 0.2 (1 - pi/4) = 0.407 mm over 0.2); left to itself CuraEngine 4.13 derives
    # it from the nozzle size on the command line (2.0 mm), not from the line width set here.
    "infill_line_distance=2.035",
]  # fmt: skip

PRUSA_SETTINGS = [
    "--gcode-flavor", "marlin2", "--bed-shape", "0x0,250x0,250x210,0x210", "--max-print-height", "220",
    "--nozzle-diameter", "0.4", "--filament-diameter", "1.75", "--layer-height", "0.2", "--first-layer-height", "0.2",
    "--perimeters", "2", "--top-solid-layers", "4", "--bottom-solid-layers", "4", "--fill-density", "20%",
    "--fill-pattern", "rectilinear", "--extrusion-width", "0.45", "--perimeter-extrusion-width", "0.45",
    "--external-perimeter-extrusion-width", "0.45", "--infill-extrusion-width", "0.45",
    "--solid-infill-extrusion-width", "0.45", "--top-infill-extrusion-width", "0.45",
    "--first-layer-extrusion-width", "0.45", "--perimeter-speed", "40", "--external-perimeter-speed", "40",
    "--small-perimeter-speed", "40", "--infill-speed", "60", "--solid-infill-speed", "60",
    "--top-solid-infill-speed", "60", "--gap-fill-speed", "60", "--bridge-speed", "60", "--travel-speed", "150",
    "--first-layer-speed", "20", "--default-acceleration", "1000", "--perimeter-acceleration", "1000",
    "--infill-acceleration", "1000", "--first-layer-acceleration", "1000",
    "--machine-limits-usage", "time_estimate_only", "--machine-max-acceleration-extruding", "1000,1000",
    "--machine-max-acceleration-travel", "1000,1000", "--machine-max-acceleration-x", "1000,1000",
    "--machine-max-acceleration-y", "1000,1000", "--machine-max-jerk-x", "8,8", "--machine-max-jerk-y", "8,8",
    "--machine-max-feedrate-x", "500,500", "--machine-max-feedrate-y", "500,500", "--retract-length", "0.8",
    "--retract-before-travel", "2", "--skirts", "0", "--brim-width", "0", "--no-support-material",
    "--cooling", "--slowdown-below-layer-time", "10", "--min-print-speed", "10",
]  # fmt: skip

#: Corpus meshes for the side-by-side (path, largest extent after scaling, mm).
CORPUS_PARTS = {
    "Stanford bunny (common-3d-test-models)": ("common-3d-test-models/stanford-bunny.obj", 60.0),
    "rocker arm (common-3d-test-models)": ("common-3d-test-models/rocker-arm.obj", 80.0),
    "spot (common-3d-test-models)": ("common-3d-test-models/spot.obj", 60.0),
}


def corpus_stl(relative: str, extent: float) -> Path | None:
    """A repaired copy of a corpus mesh scaled to ``extent`` mm, as binary STL under work/."""
    source = TESTDATA / relative
    if not source.exists():
        return None
    target = WORK / (Path(relative).stem + ".bench.stl")
    if target.exists():
        return target
    import makeready
    from makeready.geometry.repair import repair

    part, _ = repair(makeready.load(source))
    scale = extent / float(np.max(part.extents))
    makeready.save(
        part.with_bodies([b.transformed(np.diag([scale, scale, scale, 1.0])) for b in part.bodies]), target
    )
    return target


def prusa_estimate_s(gcode: Path) -> float | None:
    """PrusaSlicer's "estimated printing time (normal mode) = 1d 2h 3m 4s", in seconds."""
    match = re.search(r"estimated printing time \(normal mode\) = ([\dhdms ]+)", gcode.read_text())
    if not match:
        return None
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return float(sum(int(n) * units[u] for n, u in re.findall(r"(\d+)([dhms])", match.group(1))))


def cura_definitions() -> Path | None:
    """The directory holding fdmprinter.def.json (installed, or unpacked from the cura .deb)."""
    installed = Path("/usr/share/cura/resources/definitions")
    if (installed / "fdmprinter.def.json").exists():
        return installed
    target = WORK / "cura"
    found = list(target.rglob("fdmprinter.def.json"))
    if found:
        return found[0].parent
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["apt-get", "download", "cura"], cwd=target, capture_output=True, check=False)
    for deb in target.glob("cura_*.deb"):
        subprocess.run(["dpkg-deb", "-x", str(deb), str(target / "x")], check=False)
    found = list(target.rglob("fdmprinter.def.json"))
    return found[0].parent if found else None


def cura_command(definitions: Path, model: Path, out: Path) -> list[str]:
    cmd = ["CuraEngine", "slice", "-j", str(definitions / "fdmprinter.def.json")]
    for setting in CURA_SETTINGS:
        cmd += ["-s", setting]
    return [
        *cmd,
        "-e0",
        "-s",
        "material_diameter=1.75",
        "-l",
        str(model),
        "-s",
        "center_object=true",
        "-o",
        str(out),
    ]


def filament_m(gcode: Path, relative: bool) -> float:
    """Filament pushed by a G-code file (retractions and primes cancel), metres.

    Follows the extrusion mode: M82 / G90 absolute, M83 / G91 relative (end scripts switch).
    """
    total, last = 0.0, 0.0
    for line in gcode.read_text().splitlines():
        code = line.split(";", 1)[0].strip()
        if code.startswith(("M83", "G91")):
            relative = True
        elif code.startswith(("M82", "G90")):
            relative = False
        if code.startswith("G92"):
            match = re.search(r"E(-?[\d.]+)", code)
            last = float(match.group(1)) if match else last
            continue
        match = re.match(r"^G[01]\b.*?E(-?[\d.]+)", code)
        if not match:
            continue
        value = float(match.group(1))
        if relative:
            total += value
        else:
            total += value - last
            last = value
    return total / 1000.0


def nesting_row() -> dict[str, float]:
    from tests.meshes import mixed_outlines

    from makeready.geometry.packing import nest_on_plate, plate_shape

    outlines = mixed_outlines(50)
    start = time.perf_counter()
    layout = nest_on_plate(outlines, plate_shape(250.0, 250.0), spacing=3.0, margin=5.0)
    return {
        "seconds": time.perf_counter() - start,
        "placed": len(layout.placements),
        "density": layout.density,
    }


def main() -> None:
    WORK.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    small, big = knot_files()
    models = {"torus knot, 20,000 triangles": small, "torus knot, 1,024,000 triangles": big}
    cube = TESTDATA / "trimesh" / "20mm-xyz-cube.stl"
    if cube.exists():
        models = {"20 mm calibration cube (trimesh corpus)": cube, **models}
    for label, (relative, extent) in CORPUS_PARTS.items():
        copy = corpus_stl(relative, extent)
        if copy is not None:
            models[label] = copy
    definitions = cura_definitions() if shutil.which("CuraEngine") else None
    rows = {}
    for label, model in models.items():
        ours_out = WORK / f"{model.stem}.makeready.gcode"
        ours_cmd = [
            sys.executable,
            "-m",
            "makeready",
            "slice",
            "{path}",
            "--out",
            str(ours_out),
            "--no-supports",
            "--json",
        ]
        ours_s = whole_process(ours_cmd, model, REPEATS, check=True)
        text = ours_out.read_text()
        row: dict[str, float | None] = {
            "makeready_s": ours_s,
            "makeready_estimate_s": float(re.search(r"^;TIME:(\d+)", text, re.M).group(1)),  # type: ignore[union-attr]
            "makeready_filament_m": filament_m(ours_out, relative=True),
            "cura_s": None,
        }
        if definitions is not None:
            cura_out = WORK / f"{model.stem}.cura.gcode"
            env = {**os.environ, "CURA_ENGINE_SEARCH_PATH": str(definitions)}
            walls = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                subprocess.run(
                    cura_command(definitions, model, cura_out), capture_output=True, check=True, env=env
                )
                walls.append(time.perf_counter() - start)
            elapsed = re.findall(r"^;TIME_ELAPSED:([\d.]+)", cura_out.read_text(), re.M)
            row.update(
                cura_s=float(np.median(walls)),
                cura_estimate_s=float(elapsed[-1]) if elapsed else None,
                cura_filament_m=filament_m(cura_out, relative=False),
            )
        if shutil.which("prusa-slicer"):
            prusa_out = WORK / f"{model.stem}.prusa.gcode"
            walls = []
            for _ in range(REPEATS):
                start = time.perf_counter()
                subprocess.run(
                    [
                        "prusa-slicer",
                        "--export-gcode",
                        *PRUSA_SETTINGS,
                        "--output",
                        str(prusa_out),
                        str(model),
                    ],
                    capture_output=True,
                    check=True,
                )
                walls.append(time.perf_counter() - start)
            row.update(
                prusa_s=float(np.median(walls)),
                prusa_estimate_s=prusa_estimate_s(prusa_out),
                prusa_filament_m=filament_m(prusa_out, relative=True),
            )
        rows[label] = row
    nesting = nesting_row()
    info = {
        "machine": f"{platform.machine()}, {platform.python_version()}, cores={len(os.sched_getaffinity(0))}",
        "target": "<= 0.5x CuraEngine's whole-process time; print time within 15 % of both peers' estimates",
        "rows": rows,
        "nesting": nesting,
    }
    (RESULTS / "slicing.json").write_text(json.dumps(info, indent=2))

    def ratio(a: float | None, b: float | None) -> str:
        return f"{a / b:.2f}" if a is not None and b else "—"

    def value(x: float | None, spec: str) -> str:
        return "—" if x is None else format(x, spec)

    lines = [
        "# Slicing benchmark (FDM G-code) and nesting",
        "",
        f"{info['machine']}. Target: {info['target']}. Same settings for all three slicers (module notes).",
        "",
        "Wall time, whole process (s):",
        "",
        "| part | makeready | CuraEngine | PrusaSlicer | vs Cura | vs Prusa |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, row in rows.items():
        lines.append(
            f"| {label} | {row['makeready_s']:.2f} | {value(row.get('cura_s'), '.2f')} | "
            f"{value(row.get('prusa_s'), '.2f')} | {ratio(row['makeready_s'], row.get('cura_s'))} | "
            f"{ratio(row['makeready_s'], row.get('prusa_s'))} |"
        )
    lines += [
        "",
        "Estimated print time (s) and filament (m):",
        "",
        "| part | time makeready / Cura / Prusa | vs Cura | vs Prusa | filament makeready / Cura / Prusa | vs Cura | vs Prusa |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, row in rows.items():
        ours_t, ours_f = row["makeready_estimate_s"], row["makeready_filament_m"]
        lines.append(
            f"| {label} | {ours_t:,.0f} / {value(row.get('cura_estimate_s'), ',.0f')} / "
            f"{value(row.get('prusa_estimate_s'), ',.0f')} | {ratio(ours_t, row.get('cura_estimate_s'))} | "
            f"{ratio(ours_t, row.get('prusa_estimate_s'))} | {ours_f:.2f} / {value(row.get('cura_filament_m'), '.2f')} / "
            f"{value(row.get('prusa_filament_m'), '.2f')} | {ratio(ours_f, row.get('cura_filament_m'))} | "
            f"{ratio(ours_f, row.get('prusa_filament_m'))} |"
        )
    lines += [
        "",
        f"Nesting 50 mixed footprints on a 250 x 250 mm plate: {nesting['placed']} placed in "
        f"{nesting['seconds']:.2f} s, {100 * nesting['density']:.0f} % of the plate covered.",
    ]
    (RESULTS / "slicing.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
