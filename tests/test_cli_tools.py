"""``catalog``, ``config show``, ``batch``, progress, completion and exit codes of the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from makeready import Body, Part, catalog, load, run_analysis, save
from makeready.cli import app
from tests.conftest import DATA
from tests.meshes import box

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, script: bool = False
) -> subprocess.CompletedProcess[str]:
    # The console script (what a shell completes) or ``python -m makeready``.
    installed = Path(sys.executable).parent / "makeready"
    console_script = str(installed) if installed.exists() else shutil.which("makeready")
    if script and console_script is None:
        if os.environ.get("CI"):  # CI installs the package: the script must be there
            pytest.fail("the makeready console script is not installed")
        pytest.skip("the makeready console script is not installed (pip install -e . adds it)")
    program = [str(console_script)] if script else [sys.executable, "-m", "makeready"]
    return subprocess.run(
        [*program, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        cwd=cwd,
    )


def _part(path: Path, size: tuple[float, float, float]) -> Path:
    save(Part((Body(path.stem, *box(size)),), "test", name=path.stem), path)
    return path


def test_catalog_lists_and_shows_with_json() -> None:
    machines = json.loads(runner.invoke(app, ["catalog", "machines", "--process", "slm", "--json"]).output)
    assert {m["mac_name"] for m in machines} == {
        m.mac_name for m in catalog.machines() if m.prc_acronym == "slm"
    }
    assert all(m["mac_id"] for m in machines)
    table = runner.invoke(app, ["catalog", "materials", "-p", "sls"], env={"COLUMNS": "200"})
    assert table.exit_code == 0
    assert "PA12" in table.output
    assert "316L" not in table.output
    shown = json.loads(runner.invoke(app, ["catalog", "show", "material", "pa 12", "--json"]).output)
    assert shown["mat_name"] == "PA12"
    assert shown["mat_rho"] == pytest.approx(catalog.material("PA12").mat_rho)
    for command in ("processes", "printer-types", "print-materials", "profiles"):
        result = runner.invoke(app, ["catalog", command, "--json"])
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.output)) >= 3
    profiles = json.loads(
        runner.invoke(app, ["catalog", "profiles", "--printer-type", "Prusa MK4", "--json"]).output
    )
    assert profiles
    assert all(p["technology"] == "FDM" for p in profiles)


def test_unknown_names_exit_2_with_suggestions() -> None:
    done = _cli("catalog", "show", "material", "316")
    assert done.returncode == 2
    assert "[catalog.not_found]" in done.stderr
    assert "did you mean 316L" in done.stderr
    done = _cli("quote", str(SAMPLE), "--material", "PA 11", "--process", "sls", "--json")
    assert done.returncode == 2
    error = json.loads(done.stdout)["error"]
    assert error["code"] == "catalog.not_found"
    assert "did you mean PA12" in error["message"]
    done = _cli("catalog", "machines", "--process", "lathe")
    assert done.returncode == 2
    assert "no process named 'lathe'" in done.stderr
    usage = _cli("catalog", "show", "gadget", "x")  # not a kind: a usage error, also exit 2
    assert usage.returncode == 2


def test_missing_corrupt_and_internal_exit_codes(tmp_path: Path) -> None:
    missing = _cli("analyze", str(tmp_path / "nope.stl"))
    assert missing.returncode == 2
    assert "file.not_found" in missing.stderr
    corrupt = tmp_path / "corrupt.stl"
    corrupt.write_bytes(b"\0" * 80 + (7).to_bytes(4, "little") + b"\1" * 100)
    for command in ("analyze", "quote", "thickness", "repair"):
        args = [command, str(corrupt)] + ([str(tmp_path / "o.stl")] if command == "repair" else [])
        done = _cli(*args)
        assert done.returncode == 2, (command, done.stderr)
        assert "[file.truncated]" in done.stderr
    # A bug (here: the reader replaced by one that divides by zero) is exit 1 with a traceback, not 2.
    bug = subprocess.run(
        [sys.executable, "-c", "import sys; import makeready.cli.parts as p; "
         "p.load = lambda *a, **k: 1 / 0; sys.argv = ['makeready', 'info', 'x.stl']; "
         "from makeready.cli import main; main()"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert bug.returncode == 1
    assert "internal error ZeroDivisionError" in bug.stderr


def test_config_show_hides_secrets() -> None:
    env = {
        "MAKEREADY_BOOTSTRAP_PASSWORD": "hunter2-secret",
        "MAKEREADY_BROKER_URL": "redis://:s3cr3t-pass@127.0.0.1:6379/0",
        "MAKEREADY_PORT": "8123",
    }
    done = _cli("config", "show", "--json", env=env)
    assert done.returncode == 0, done.stderr
    settings = json.loads(done.stdout)
    assert settings["port"] == {"variable": "MAKEREADY_PORT", "value": 8123, "source": "environment",
                                "description": settings["port"]["description"]}  # fmt: skip
    assert settings["bootstrap_password"]["value"] == "********"
    assert settings["broker_url"]["value"] == "redis://:********@127.0.0.1:6379/0"
    assert settings["realm"]["source"] == "default"
    table = _cli("config", "show", env=env)
    assert "hunter2" not in table.stdout + done.stdout
    assert "s3cr3t" not in table.stdout + done.stdout
    assert "MAKEREADY_DATA_DIR" in table.stdout


def test_progress_bar_follows_the_pipeline_stages() -> None:
    # Force rich to treat the captured stderr as an interactive terminal.
    done = _cli("quote", str(SAMPLE), env={"TTY_INTERACTIVE": "1", "TTY_COMPATIBLE": "1"})
    assert done.returncode == 0, done.stderr
    for stage in ("quoting", "mesh checks", "wall thickness", "report", "100%"):
        assert stage in done.stderr
    quiet = _cli("quote", str(SAMPLE), "--json", env={"TTY_INTERACTIVE": "1", "TTY_COMPATIBLE": "1"})
    assert "mesh checks" not in quiet.stderr
    json.loads(quiet.stdout)


def test_shell_completion_script_and_catalog_names() -> None:
    script = _cli("--show-completion", "bash", script=True)
    assert script.returncode == 0
    assert "_MAKEREADY_COMPLETE" in script.stdout
    names = _cli(script=True, env={"_MAKEREADY_COMPLETE": "complete_bash", "COMP_WORDS": "makeready quote x --material PA",
                      "COMP_CWORD": "4"})  # fmt: skip
    assert names.stdout.splitlines() == [m for m in catalog.Catalog.default().materials if m.startswith("PA")]
    processes = _cli(script=True, env={"_MAKEREADY_COMPLETE": "complete_bash", "COMP_WORDS": "makeready batch x -p s",
                          "COMP_CWORD": "4"})  # fmt: skip
    assert processes.stdout.splitlines() == [
        p for p in catalog.Catalog.default().processes if p.startswith("s")
    ]


def test_every_option_explains_itself() -> None:
    """--help of every command: each option has a help text; units are named where they apply."""
    import typer.main

    def walk(group: Any, path: str) -> list[tuple[str, Any]]:
        found = []
        for name, command in group.commands.items():
            found.append((f"{path} {name}", command))
            if hasattr(command, "commands"):
                found += walk(command, f"{path} {name}")
        return found

    commands = walk(typer.main.get_command(app), "makeready")
    assert len(commands) >= 25
    for name, command in commands:
        assert command.help, name
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                assert getattr(param, "help", None), f"{name} {param.opts}"
    thickness = runner.invoke(app, ["thickness", "--help"], env={"COLUMNS": "200"}).output
    assert "mm" in thickness
    assert "sample points" in thickness.lower()


def _library(tmp_path: Path) -> tuple[Path, dict[str, float]]:
    """Three parts (mm), one as a zip member, one corrupt file and a readme; volumes mm³."""
    folder = tmp_path / "library"
    (folder / "sub").mkdir(parents=True)
    _part(folder / "cube.stl", (20.0, 20.0, 20.0))
    _part(folder / "sub" / "plate.stl", (60.0, 40.0, 3.0))
    pin = _part(tmp_path / "pin.stl", (6.0, 6.0, 40.0))
    with zipfile.ZipFile(folder / "pins.zip", "w") as archive:
        archive.write(pin, "nested/pin.stl")
    (folder / "broken.stl").write_bytes(b"\0" * 80 + (9).to_bytes(4, "little"))
    (folder / "box.3mf").write_bytes((DATA / "box.3mf").read_bytes())  # a zip, but one part
    (folder / "readme.txt").write_text("not a part")
    return folder, {"cube": 8000.0, "plate": 7200.0, "pin": 1440.0}


def test_local_batch_writes_ranked_csv_and_xlsx_with_true_numbers(tmp_path: Path) -> None:
    folder, _ = _library(tmp_path)
    stem = tmp_path / "out" / "report"
    done = _cli(
        "batch",
        str(folder),
        "-m",
        "PA12",
        "-p",
        "sls",
        "--lot-size",
        "20",
        "--report",
        str(stem),
        "--jobs",
        "2",
    )
    assert done.returncode == 0, done.stderr
    assert "refused broken.stl: file.truncated" in done.stderr
    assert "parts analysed / failed / refused" in done.stdout
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "report.csv").read_text())))
    assert sorted(r["part"] for r in rows) == ["box", "cube", "pin", "plate"]
    assert [int(r["rank"]) for r in rows] == [1, 2, 3, 4]
    savings = [float(r["saving_eur_per_part"]) for r in rows]
    assert savings == sorted(savings, reverse=True)
    # Each row's numbers equal the library's analysis of the same part (independent path).
    cube = next(r for r in rows if r["part"] == "cube")
    truth = run_analysis(load(folder / "cube.stl"), "PA12", "sls", 20)
    by_process = {}
    for chain in truth.chains:
        if chain.estimate.feasible:
            key = chain.process.prc_acronym
            by_process[key] = min(by_process.get(key, float("inf")), chain.estimate.cost_per_part)
    for process, cost in by_process.items():
        assert float(cube[f"eur_per_part_{process}"]) == pytest.approx(cost, rel=1e-9)
    additive = {
        p: c
        for p, c in by_process.items()
        if catalog.Catalog.default().process(p).tech == "additive_manufacturing"
    }
    assert float(cube["additive_eur_per_part"]) == pytest.approx(min(additive.values()), rel=1e-9)
    assert (cube["material"], cube["process"], cube["lot_size"]) == ("PA12", "sls", "20")
    book = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")
    assert book.sheetnames == ["Ranking", "Chains", "Summary", "Refused"]
    ranking = list(book["Ranking"].iter_rows(values_only=True))
    assert [r[1] for r in ranking[1:]] == [r["part"] for r in rows]
    assert [r[2] for r in ranking[1:]] == [r["file"] for r in rows]
    refused = list(book["Refused"].iter_rows(values_only=True))
    assert refused[1][:2] == ("broken.stl", "file.truncated")
    chains = list(book["Chains"].iter_rows(values_only=True))
    assert len(chains) - 1 == sum(len(truth.chains) for _ in rows)  # same chain set for every part


def test_batch_reads_a_parts_list_with_options_per_row(tmp_path: Path) -> None:
    folder, _ = _library(tmp_path)
    listing = folder / "parts.csv"
    listing.write_text(
        "file;material;process;lot_size\ncube.stl;316L;slm;5\nsub/plate.stl;;;\n", encoding="utf-8"
    )
    result = runner.invoke(
        app, ["batch", str(listing), "-m", "PA12", "-p", "sls", "--json", "--no-report-files"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    options = {line["name"]: line["options"] for line in data["parts"]}
    assert options == {
        "cube": {"mat_name": "316L", "prc_acronym": "slm", "lot_size": 5},
        "plate": {"mat_name": "PA12", "prc_acronym": "sls", "lot_size": 1},
    }
    assert data["reports"] == []
    bad = tmp_path / "bad.csv"
    bad.write_text("name,qty\ncube,1\n")
    result = runner.invoke(app, ["batch", str(bad), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["error"]["code"] == "batch.invalid_list"
    bad.write_text("file,lot_size\ncube.stl,many\n")
    result = runner.invoke(app, ["batch", str(bad)])
    assert result.exit_code == 2
    assert "lot size 'many'" in result.output


def test_batch_of_a_zip_and_nothing_to_do(tmp_path: Path) -> None:
    folder, volumes = _library(tmp_path)
    result = runner.invoke(
        app, ["batch", str(folder / "pins.zip"), "--json", "--no-report-files", "--jobs", "1"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [line["basename"] for line in data["parts"]] == ["pin.stl"]
    assert data["parts"][0]["part_id"].endswith("pins.zip!nested/pin.stl")
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["batch", str(empty)])
    assert result.exit_code == 2
    assert "file.not_found" in result.output
    assert volumes["pin"] == pytest.approx(load(tmp_path / "pin.stl").volume)


def test_batch_report_goes_to_the_working_folder_by_default(tmp_path: Path) -> None:
    _part(tmp_path / "one.stl", (10.0, 10.0, 10.0))
    done = _cli("batch", "one.stl", "--jobs", "1", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "makeready-batch.csv").exists()
    assert (tmp_path / "makeready-batch.xlsx").exists()
    assert "wrote makeready-batch.xlsx" in done.stdout


def test_server_unreachable_is_bad_input(tmp_path: Path) -> None:
    from tests.service.live import free_port

    done = _cli(
        "batch", str(DATA / "unit_cube.STL"), "--server", f"http://127.0.0.1:{free_port()}", "--password", "x"
    )
    assert done.returncode == 2
    assert "[server.unreachable]" in done.stderr


def test_quote_issue_20_acceptance_cube_lots_and_shared_nesting() -> None:
    """Issue 20's done-when, through the CLI: moulding amortised per lot, bureau nesting cheap."""

    def quote(*args: str) -> dict[str, Any]:
        done = _cli("quote", str(SAMPLE), "-m", "PA12", "-p", "sls", "--json", *args)
        assert done.returncode == 0, done.stderr
        report: dict[str, Any] = json.loads(done.stdout)
        return report

    def chain(report: dict[str, Any], process: str) -> dict[str, Any]:
        return next(c for c in report["process_chains"].values() if c["prc_acronym"] == process)

    def hours(hhmm: str) -> float:
        h, m = hhmm.split(":")
        return int(h) + int(m) / 60

    big, thousand = quote("--lot-size", "10000"), quote("--lot-size", "1000")
    mould = chain(big, "moulding")
    assert mould["parts_pj"] == 10_000
    assert mould["nst_style"] == "alone"
    setup = catalog.machine(mould["machine_name"]).setup_time
    cavities, cycle_s = (
        float(x) for x in re.findall(r"(\d+)-cavity.*cycle ([\d.]+) s", mould["notes"][0])[0]
    )
    per_part_h = cycle_s / cavities / 3600
    assert hours(mould["mac_t"]["mac_t_pl"]) < 1.05 * 10_000 * per_part_h + setup
    assert hours(mould["mac_t"]["mac_t_pl"]) < 10.5 * hours(chain(thousand, "moulding")["mac_t"]["mac_t_pl"])
    assert mould["cost"]["cost_pp"] < chain(thousand, "moulding")["cost"]["cost_pp"]
    shared = quote("--nesting", "shared")
    sls = chain(shared, "sls")
    assert sls["nst_style"] == "shared"
    assert sls["cost"]["cost_pp"] < 50.0
    truth = run_analysis(load(SAMPLE), "PA12", "sls", 1, nesting="shared")
    assert sls["cost"]["cost_pp"] == pytest.approx(truth.chains[0].estimate.cost_per_part, rel=1e-9)
    alone = chain(quote(), "sls")
    assert alone["nst_style"] == "alone"
    assert alone["cost"]["cost_pp"] > sls["cost"]["cost_pp"]


def test_quote_warns_about_suspect_units_and_still_prices(tmp_path: Path) -> None:
    tiny = _part(tmp_path / "in_metres.stl", (0.16, 0.08, 0.02))  # a 160 mm part written in metres
    done = _cli("quote", str(tiny), "-m", "PA12", "-p", "sls", "--json")
    assert done.returncode == 0, done.stderr
    assert "units_suspect" in done.stderr
    assert "metres" in done.stderr
    report = json.loads(done.stdout)
    (warning,) = report["warnings"]
    assert warning["code"] == "units_suspect"
    assert warning["likely_units"] == "meter"
    assert warning["likely_longest_edge_mm"] == pytest.approx(160.0)
    for chain in report["process_chains"].values():
        assert chain["warnings"] == report["warnings"]
    primary = report["process_chains"][report["primary_process_chain_id"]]
    assert primary["cost"]["cost_pp"] > 0  # priced all the same: the user decides
    table = _cli("quote", str(tiny), "-m", "PA12", "-p", "sls")
    assert "units_suspect" in table.stderr
    normal = _cli("quote", str(SAMPLE), "-m", "PA12", "-p", "sls", "--json")
    assert json.loads(normal.stdout)["warnings"] == []


def test_local_batch_with_shared_nesting_prices_like_the_library(tmp_path: Path) -> None:
    folder, _ = _library(tmp_path)
    stem = tmp_path / "shared"
    done = _cli(
        "batch", str(folder / "cube.stl"), "-m", "PA12", "-p", "sls", "--nesting", "shared",
        "--report", str(stem), "--jobs", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    (row,) = list(csv.DictReader(io.StringIO((tmp_path / "shared.csv").read_text())))
    assert row["nesting"] == "shared"
    truth = run_analysis(load(folder / "cube.stl"), "PA12", "sls", 1, nesting="shared")
    sls = next(c for c in truth.chains if c.process.prc_acronym == "sls")
    assert float(row["eur_per_part_sls"]) == pytest.approx(sls.estimate.cost_per_part, rel=1e-9)


def test_break_even_sentence_names_every_span_where_printing_is_cheaper() -> None:
    from makeready.cli.costs import _cheaper_lots
    from makeready.costing.break_even import BreakEven

    def sweep(am_cheaper: bool, crossings: tuple[int, ...]) -> BreakEven:
        lots = (1, 10, 100, 10_000)
        zero = (0.0,) * len(lots)
        return BreakEven(
            lots=lots,
            cost_per_part=zero,
            other_cost_per_part=zero,
            cheaper=(am_cheaper,) * len(lots),
            lot=crossings[0] if crossings else None,
            crossings=crossings,
        )

    assert _cheaper_lots(sweep(True, (1495,))) == "up to 1,494 parts per lot"
    assert _cheaper_lots(sweep(False, (218, 1444))) == "from 218 to 1,443 parts per lot"
    assert _cheaper_lots(sweep(False, (40,))) == "from 40 parts per lot"
    assert _cheaper_lots(sweep(True, ())) == "at every lot up to 10,000"
    assert _cheaper_lots(sweep(False, ())) == "at no lot up to 10,000"


def test_batch_flags_suspect_units_and_ranks_those_parts_last(tmp_path: Path) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    _part(folder / "cube.stl", (20.0, 20.0, 20.0))
    _part(folder / "in_metres.stl", (0.02, 0.02, 0.02))  # the same cube written in metres
    done = _cli(
        "batch", str(folder), "-m", "PA12", "-p", "sls", "--report", str(tmp_path / "r"), "--jobs", "1"
    )
    assert done.returncode == 0, done.stderr
    assert "units_suspect" in done.stdout  # flagged in the table and counted in the summary
    rows = list(csv.DictReader(io.StringIO((tmp_path / "r.csv").read_text())))
    assert [(r["part"], r["warnings"]) for r in rows] == [("cube", ""), ("in_metres", "units_suspect")]


def test_a_picture_named_stl_is_named_and_exits_2(tmp_path: Path) -> None:
    picture = tmp_path / "part.stl"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    done = _cli("info", str(picture))
    assert done.returncode == 2
    assert "[file.unsupported_format]" in done.stderr + done.stdout
    assert "PNG image" in done.stderr + done.stdout
