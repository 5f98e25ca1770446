"""Coverage-guided fuzzing of every mesh reader and the upload endpoint (atheris + libFuzzer).

``make fuzz`` runs this: each target in a process of its own, ``--jobs`` at a time, until the
targets together have executed ``--total`` inputs (default 1,000,000), then writes
``benchmarks/results/fuzz.md`` and ``fuzz.json`` with the executions, the coverage reached and
every finding.

A *finding* is what a user must never see: an exception other than ``MakereadyError`` (a bug
where a clear error with a stable code belongs), a part with no triangles or with a coordinate
that is not finite, an upload answered with a 5xx or with an error body without a documented
code, a crash (signal), a hang (``-timeout``) or a memory blow-up (``-rss_limit_mb``). Findings
of the first kinds are recorded and fuzzing goes on; each input that produced one is kept under
``benchmarks/work/fuzz/<target>/findings/``. A crash, hang or blow-up stops libFuzzer; the
input is kept as ``crash-*``/``timeout-*``/``oom-*`` and the target is started again on the
remaining budget.

The seed corpus comes from the repository's fixtures (``tests/data``) and the third-party files
in ``../shared/testdata`` when present (files of at most ``MAX_LEN`` bytes), one corpus per
target; libFuzzer adds the inputs that reach new code to ``benchmarks/work/fuzz/<target>/corpus``,
so a later run starts from where this one stopped.

STEP is not a target: its reader is OpenCascade in a child process (about one input a second)
under memory and time limits, so a bad STEP file costs a child process, never the reader's
caller; the STEP tests cover its error paths.

Usage::

    python benchmarks/fuzz.py [--total N] [--jobs J] [--targets stl,obj,...]
    python benchmarks/fuzz.py --target NAME [libFuzzer args...]     # one target, in the foreground
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = HERE / "work" / "fuzz"
RESULTS = HERE / "results"
SHARED = Path(os.environ.get("MAKEREADY_TESTDATA", ROOT.parent / "shared" / "testdata"))

#: Longest input libFuzzer makes, bytes (seeds longer than this are left out).
MAX_LEN = 64 << 10
#: Per-input limits: a hang is an input slower than this, seconds; a blow-up, more than this RSS.
TIMEOUT_S = 20
RSS_LIMIT_MB = 3072
#: Starts of one target after a crash, hang or blow-up before it is given up.
MAX_RESTARTS = 5

#: Target -> (seed file extensions, share of the total budget). The upload endpoint is two
#: orders of magnitude slower per input than a reader (a whole HTTP request through the app).
TARGETS: dict[str, tuple[tuple[str, ...], float]] = {
    "stl": ((".stl",), 0.2),
    "obj": ((".obj",), 0.2),
    "off": ((".off",), 0.1),
    "ply": ((".ply",), 0.15),
    "3mf": ((".3mf",), 0.15),
    "zip": ((".zip",), 0.1),
    "upload": ((".stl", ".obj", ".3mf", ".ply", ".off"), 0.1),
}
#: Seed files per target at most (the smallest first).
MAX_SEEDS = 300


# --- the targets, run in the child ----------------------------------------------------------------


def _reader_target(extension: str) -> Callable[[bytes], None]:
    import atheris

    with atheris.instrument_imports(include=["makeready"], exclude=_COMPILED_KERNELS):
        import numpy as np

        from makeready import LoadLimits, MakereadyError, load
        from makeready.geometry.formats import sniff
    limits = LoadLimits(max_bytes=MAX_LEN * 4, max_triangles=500_000, max_unzipped_bytes=64 << 20)
    findings = _Findings(extension.lstrip("."))

    def one_input(data: bytes) -> None:
        try:
            if sniff(data, f"fuzz{extension}") == "step":
                return  # OpenCascade in a child process, about a second an input: not a target here
            part = load(data, filename=f"fuzz{extension}", limits=limits)
        except MakereadyError:
            return
        except Exception as exc:
            findings.record(data, exc)
            return
        if part.triangle_count <= 0:
            findings.record(data, AssertionError("a part with no triangles was returned"))
        elif not all(np.isfinite(body.vertices).all() for body in part.bodies):
            findings.record(data, AssertionError("a part with a coordinate that is not finite"))

    return one_input


#: numba compiles these from their bytecode: instrumented bytecode would not compile.
_COMPILED_KERNELS = [
    "makeready.geometry._topology_kernels",
    "makeready.geometry._bvh_kernels",
    "makeready.geometry._exact_kernels",
    "makeready.geometry.formats._xml_mesh_kernels",
]


def _upload_target() -> Callable[[bytes], None]:
    """POST /api/v1/part/ of the real app (in process, SQLite, no job runner) with fuzzed parts."""
    import atheris

    data_dir = WORK / "upload" / "data"  # fresh at each start (libFuzzer's exit skips clean-ups)
    shutil.rmtree(data_dir, ignore_errors=True)
    os.environ.update(
        MAKEREADY_DATA_DIR=str(data_dir),
        MAKEREADY_WORKERS="0",  # jobs stay queued: the endpoint itself is the target
        MAKEREADY_BOOTSTRAP_USER="fuzz",
        MAKEREADY_BOOTSTRAP_PASSWORD="fuzz-password",
        MAKEREADY_POLL_MIN_INTERVAL_S="0",
        MAKEREADY_GC_INTERVAL_S="0",
        MAKEREADY_LOG_LEVEL="critical",
    )
    with atheris.instrument_imports(include=["makeready"], exclude=_COMPILED_KERNELS):
        from fastapi.testclient import TestClient

        from makeready.errors import ERROR_CODES
        from makeready.service.app import create_app
    client = TestClient(create_app(), raise_server_exceptions=False)
    client.__enter__()  # the app's lifespan: database, blobs, bootstrap user
    token = client.post(
        "/realms/makeready/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "username": "fuzz",
            "password": "fuzz-password",
            "client_id": "makeready",
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    sample = ROOT / "src" / "makeready" / "data" / "samples" / "20mm-xyz-cube.stl"
    form = {"mat_name": "PA12", "prc_acronym": "sls", "lot_size": "1"}
    accepted = client.post(
        "/api/v1/part/", data=form, files={"file": ("cube.stl", sample.read_bytes())}, headers=headers
    )
    if accepted.status_code not in (200, 201):  # fuzzing a sign-in error page would prove nothing
        raise SystemExit(
            f"the upload endpoint refused a good part: {accepted.status_code} {accepted.text[:200]}"
        )
    findings = _Findings("upload")
    names = [".stl", ".obj", ".3mf", ".ply", ".off", ".zip", ".step", ".txt", ""]
    materials = ["PA12", "316L", "PLA", "Ti6Al4V", "unobtainium", ""]
    processes = ["sls", "slm", "fdm", "mjf", "cnc", "im", "", "x"]

    def one_input(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        stem = fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 24))
        filename = stem + names[fdp.ConsumeIntInRange(0, len(names) - 1)]
        form = {
            "mat_name": materials[fdp.ConsumeIntInRange(0, len(materials) - 1)],
            "prc_acronym": processes[fdp.ConsumeIntInRange(0, len(processes) - 1)],
            "lot_size": fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 6))
            if fdp.ConsumeBool()
            else "10",
        }
        body = fdp.ConsumeBytes(MAX_LEN)
        try:
            reply = client.post("/api/v1/part/", data=form, files={"file": (filename, body)}, headers=headers)
        except Exception as exc:
            findings.record(data, exc)
            return
        if reply.status_code >= 500:
            findings.record(data, AssertionError(f"HTTP {reply.status_code}: {reply.text[:300]}"))
        elif reply.status_code >= 400:
            try:
                code = reply.json().get("code")
            except ValueError:
                code = None
            if code not in ERROR_CODES:
                findings.record(data, AssertionError(f"HTTP {reply.status_code} without a documented code"))

    return one_input


class _Findings:
    """Unexpected outcomes, one kept input per distinct (exception type, place)."""

    def __init__(self, target: str) -> None:
        self.directory = WORK / target / "findings"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.seen: set[str] = {p.stem.split("--")[0] for p in self.directory.glob("*.bin")}

    def record(self, data: bytes, exc: BaseException) -> None:
        import hashlib
        import traceback

        frames = traceback.extract_tb(exc.__traceback__)
        place = next(
            (f"{Path(f.filename).name}:{f.lineno}" for f in reversed(frames) if "makeready" in f.filename), ""
        )
        key = re.sub(r"[^A-Za-z0-9_.:-]", "_", f"{type(exc).__name__}@{place}")
        if key in self.seen:
            return
        self.seen.add(key)
        digest = hashlib.sha1(data).hexdigest()[:12]
        (self.directory / f"{key}--{digest}.bin").write_bytes(data)
        (self.directory / f"{key}--{digest}.txt").write_text(
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        )
        print(f"FINDING {key}: {type(exc).__name__}: {str(exc)[:200]}", flush=True)


def run_target(name: str, libfuzzer_args: list[str]) -> None:
    """Fuzz one target in this process (libFuzzer exits the process when done)."""
    import atheris

    one_input = _upload_target() if name == "upload" else _reader_target(TARGETS[name][0][0])
    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


# --- the driver -----------------------------------------------------------------------------------


@dataclass
class TargetRun:
    """One target's totals over its starts."""

    target: str
    budget: int
    execs: int = 0
    seconds: float = 0.0
    starts: int = 0
    coverage: int = 0
    features: int = 0
    corpus: int = 0
    seeds: int = 0
    findings: list[str] = field(default_factory=list)
    stops: list[str] = field(default_factory=list)


def _seeds(target: str) -> Path:
    """The target's seed directory: fixtures and corpus files of its formats, smallest first."""
    extensions = TARGETS[target][0]
    directory = WORK / target / "seeds"
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    sources = [ROOT / "tests" / "data", SHARED]
    files = sorted(
        {
            p
            for source in sources
            if source.exists()
            for p in source.rglob("*")
            if p.is_file() and p.suffix.lower() in extensions and 0 < p.stat().st_size <= MAX_LEN
        },
        key=lambda p: (p.stat().st_size, str(p)),
    )
    for index, path in enumerate(files[:MAX_SEEDS]):
        shutil.copyfile(path, directory / f"{index:04d}{path.suffix.lower()}")
    return directory


_DONE = re.compile(rb"Done (\d+) runs in (\d+) second")
_STAT = re.compile(rb"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)")


def fuzz_target(target: str, budget: int) -> TargetRun:
    """Run ``target`` for ``budget`` inputs (restarting after crashes), and read its totals."""
    run = TargetRun(target, budget)
    seeds = _seeds(target)
    run.seeds = len(list(seeds.iterdir()))
    corpus = WORK / target / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    artifacts = WORK / target / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    log_path = WORK / target / "fuzz.log"
    with log_path.open("wb") as log:
        while run.execs < budget and run.starts <= MAX_RESTARTS:
            run.starts += 1
            started = time.monotonic()
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--target",
                target,
                f"-runs={budget - run.execs}",
                f"-max_len={MAX_LEN}",
                f"-timeout={TIMEOUT_S}",
                f"-rss_limit_mb={RSS_LIMIT_MB}",
                f"-artifact_prefix={artifacts}/",
                "-print_final_stats=1",
                str(corpus),
                str(seeds),
            ]
            child = subprocess.run(command, capture_output=True, cwd=ROOT, check=False)
            output = child.stdout + child.stderr
            log.write(output)
            run.seconds += time.monotonic() - started
            done = _DONE.search(output)
            stats = _STAT.findall(output)
            executed = int(done.group(1)) if done else (int(stats[-1][0]) if stats else 0)
            run.execs += executed
            if stats:
                run.coverage, run.features = (
                    max(run.coverage, int(stats[-1][1])),
                    max(run.features, int(stats[-1][2])),
                )
            run.findings += [
                line.decode(errors="replace") for line in output.splitlines() if line.startswith(b"FINDING ")
            ]
            if child.returncode != 0:
                kind = re.search(rb"ERROR: libFuzzer: ([\w-]+)|==\d+== ERROR: (\w+)", output)
                what = (kind.group(1) or kind.group(2)).decode() if kind else f"exit {child.returncode}"
                run.stops.append(what)
                if executed == 0:
                    break
    run.corpus = len(list(corpus.iterdir()))
    return run


def _report(runs: list[TargetRun], wall_s: float) -> None:
    RESULTS.mkdir(exist_ok=True)
    payload = {"wall_s": round(wall_s, 1), "max_len": MAX_LEN, "runs": [asdict(r) for r in runs]}
    (RESULTS / "fuzz.json").write_text(json.dumps(payload, indent=2) + "\n")
    total = sum(r.execs for r in runs)
    lines = [
        "# Fuzzing: every reader and the upload endpoint",
        "",
        f"`make fuzz` (benchmarks/fuzz.py): atheris {_version('atheris')} (libFuzzer, coverage-guided over",
        "makeready's Python code), inputs up to 64 KiB, seeds from tests/data and ../shared/testdata.",
        f"{total:,} inputs in {wall_s / 60:.1f} min of wall time on this machine ({os.cpu_count()} cores).",
        "",
        "| target | inputs | exec/s | coverage (edges) | features | seeds | corpus | findings | stops |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        rate = r.execs / r.seconds if r.seconds else 0.0
        lines.append(
            f"| {r.target} | {r.execs:,} | {rate:,.0f} | {r.coverage:,} | {r.features:,} | {r.seeds} |"
            f" {r.corpus} | {len(r.findings)} | {', '.join(r.stops) or '—'} |"
        )
    lines += ["", "## Findings", ""]
    found = [f"- {r.target}: {f.removeprefix('FINDING ')}" for r in runs for f in r.findings]
    lines += found or ["None: every input was read or refused with a documented code."]
    lines += [
        "",
        "A finding is an exception other than MakereadyError, an empty or non-finite part, an upload",
        "answered 5xx or without a documented code; stops are libFuzzer's crash, timeout or",
        "rss-limit ends (the input is kept under benchmarks/work/fuzz/<target>/artifacts/).",
        "",
    ]
    (RESULTS / "fuzz.md").write_text("\n".join(lines))
    print("\n".join(lines))


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def main(argv: list[str]) -> int:
    """Run the targets (or one target in the foreground with ``--target``)."""
    if len(argv) >= 2 and argv[0] == "--target":
        run_target(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=1_000_000, help="inputs over all targets")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="targets at a time")
    parser.add_argument("--targets", default=",".join(TARGETS), help="comma-separated target names")
    args = parser.parse_args(argv)
    names = [n for n in args.targets.split(",") if n]
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        parser.error(f"unknown targets {unknown}; known: {sorted(TARGETS)}")
    share = sum(TARGETS[n][1] for n in names)
    budgets = {n: max(1, round(args.total * TARGETS[n][1] / share)) for n in names}
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        runs = list(pool.map(lambda n: fuzz_target(n, budgets[n]), names))
    _report(runs, time.monotonic() - started)
    return 1 if any(r.findings or r.stops for r in runs) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
