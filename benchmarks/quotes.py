"""Quote table: eight third-party parts, every process chain, lots 1 to 10,000, both nestings.

A table a bureau can eyeball: EUR per part and lead time (working days) for lots 1, 10, 100,
1,000 and 10,000, with additive builds of the lot's own (``alone``) and shared with other
orders (``shared``). Each part is analysed once (``run_analysis``: orientation, supports,
machine choice); every chain is then priced at each lot as the report's break-even prices it
(``price_at``: the cheapest orientation the search kept, the printable's time). Writes benchmarks/results/quotes.md, quotes.json and quotes.png (cost per part
against lot size, log-log, for two parts). Needs ../shared/testdata; run from benchmarks/.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))

from makeready import load, run_analysis
from makeready.catalog import Catalog
from makeready.rendering.spark import analysis_report
from makeready.workflows.quote import price_at

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CORPUS = HERE.parent.parent / "shared" / "testdata"
SAMPLE = HERE.parent / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"
LOTS = (1, 10, 100, 1000, 10_000)
NESTINGS = ("alone", "shared")
# (label, file, units the file is in, material, process): sizes from 20 mm to 355 mm, metals,
# polymers and resin; the units are the ones that make each part its real size.
PARTS = [
    ("xyz calibration cube", SAMPLE, None, "PA12", "sls"),
    ("featuretype (trimesh)", CORPUS / "trimesh" / "featuretype.STL", "inch", "316L", "slm"),
    ("tray bottom (trimesh)", CORPUS / "trimesh" / "1002_tray_bottom.STL", None, "PA12 MJF", "mjf"),
    ("counter plate (trimesh)", CORPUS / "trimesh" / "counter.unitsmm.STL", None, "PA12", "sls"),
    ("IMU housing ADIS16480", CORPUS / "trimesh" / "ADIS16480.STL", "m", "AlSi10Mg", "slm"),
    ("angle block (trimesh)", CORPUS / "trimesh" / "angle_block.STL", "inch", "Ti6Al4V", "slm"),
    ("Stanford bunny", CORPUS / "common-3d-test-models" / "stanford-bunny.obj", "m", "PLA", "fdm"),
    ("Spot the cow", CORPUS / "common-3d-test-models" / "spot.obj", "inch", "Standard Resin", "sla"),
]
PLOTTED = ("xyz calibration cube", "counter plate (trimesh)")
PLOT_LOTS = sorted({max(1, round(10 ** (i / 8))) for i in range(0, 33)})


def price(chain, cat: Catalog, lot: int, nesting: str) -> dict[str, float | int | None]:
    e = price_at(chain, cat, lot, nesting)  # as the report's break-even prices other lots
    if not e.feasible:
        return {"eur_pp": None, "days": None}
    return {"eur_pp": e.cost_per_part, "days": e.leadtime_days}


def main() -> None:
    RESULTS.mkdir(exist_ok=True)
    cat = Catalog.default()
    rows = []
    curves: dict[str, dict[str, dict[str, list[float | None]]]] = {}
    for label, path, units, material, process in PARTS:
        if not path.exists():
            print(f"skipped {label}: {path} is missing", file=sys.stderr)
            continue
        part = load(path, units=units)
        result = run_analysis(part, material, process, 1)
        report = analysis_report(result)
        size = f"{report['bb_x']:.0f} x {report['bb_y']:.0f} x {report['bb_z']:.0f} mm"
        for chain in result.chains:
            quotes = {n: {str(lot): price(chain, cat, lot, n) for lot in LOTS} for n in NESTINGS}
            additive = chain.process.tech == "additive_manufacturing"
            rows.append(
                {
                    "part": label,
                    "size": size,
                    "volume_cm3": report["part_vol"],
                    "chain": f"{chain.process.prc_acronym} · {chain.material.mat_name}",
                    "machine": chain.machine.mac_name,
                    "additive": additive,
                    "reason": chain.estimate.reason,
                    "feasible": chain.feasible,
                    "verdict": chain.verdict,
                    "quotes": quotes,
                }
            )
            if label in PLOTTED:
                curves.setdefault(label, {})[rows[-1]["chain"]] = {
                    n: [price(chain, cat, lot, n)["eur_pp"] for lot in PLOT_LOTS]
                    for n in (NESTINGS if additive else ("alone",))
                }
        print(f"{label}: {len(result.chains)} chains", file=sys.stderr)
    (RESULTS / "quotes.json").write_text(json.dumps({"lots": LOTS, "rows": rows}, indent=1) + "\n")
    (RESULTS / "quotes.md").write_text(_markdown(rows))
    _plot(curves)


def _money(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def _markdown(rows: list[dict]) -> str:
    lines = [
        "# Quote table: EUR per part (lead time in working days) by lot size",
        "",
        "Written by `benchmarks/quotes.py` (`make bench`) from the default catalog. Additive chains",
        "show the lot's own builds (`alone`) and a share of a full build (`shared`, bureau mode);",
        "conventional chains amortise tooling per lot and set-up per production run (nesting does",
        "not apply). Each part is analysed once; every chain is priced at each lot by the same",
        "model as the report. — : the part does not fit that route; `checks` names a design check",
        "that fails (the price is still shown, as the report does).",
        "",
    ]
    header = "| chain | machine | checks | nesting | " + " | ".join(f"lot {lot:,}" for lot in LOTS) + " |"
    rule = "|---|---|---|---|" + "---:|" * len(LOTS)
    part = None
    for row in rows:
        if row["part"] != part:
            part = row["part"]
            lines += ["", f"## {part} ({row['size']}, {row['volume_cm3']:.2f} cm³)", "", header, rule]
        styles = NESTINGS if row["additive"] else ("alone",)
        for style in styles:
            cells = []
            for lot in LOTS:
                q = row["quotes"][style][str(lot)]
                cells.append("—" if q["eur_pp"] is None else f"{_money(q['eur_pp'])} ({q['days']} d)")
            nesting = style if row["additive"] else "per run"
            checks = "ok" if row["feasible"] else row["verdict"].replace("|", "/")
            lines.append(
                f"| {row['chain']} | {row['machine']} | {checks} | {nesting} | " + " | ".join(cells) + " |"
            )
    lines += [
        "",
        "![cost per part against lot size](quotes.png)",
        "",
    ]
    return "\n".join(lines)


def _plot(curves: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(6 * len(curves), 4.6), squeeze=False)
    for ax, (label, chains) in zip(axes[0], curves.items(), strict=True):
        for i, (chain, styles) in enumerate(chains.items()):
            colour = f"C{i % 10}"
            for style, values in styles.items():
                points = [(lot, v) for lot, v in zip(PLOT_LOTS, values, strict=True) if v is not None]
                if not points:
                    continue
                xs, ys = zip(*points, strict=True)
                dashed = style == "shared"
                ax.plot(xs, ys, color=colour, ls="--" if dashed else "-", label=f"{chain} ({style})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("lot size (parts)")
        ax.set_ylabel("EUR per part")
        ax.set_title(label)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(RESULTS / "quotes.png", dpi=110)


if __name__ == "__main__":
    main()
