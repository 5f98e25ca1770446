"""Property-based fuzzing: random and mutated bytes into every reader give MakereadyError or a Part.

`make test` runs a few hundred examples; `make fuzz` sets MAKEREADY_FUZZ_EXAMPLES high.
"""

from __future__ import annotations

import io
import os
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import makeready
from makeready import LoadLimits, MakereadyError
from tests.conftest import DATA

EXAMPLES = int(os.environ.get("MAKEREADY_FUZZ_EXAMPLES", "150"))
LIMITS = LoadLimits(max_bytes=8 << 20, max_triangles=200_000, max_unzipped_bytes=32 << 20)
SEEDS = {
    "stl-binary": (DATA / "unit_cube.STL").read_bytes(),
    "stl-ascii": (DATA / "Moon.stl").read_bytes(),
    "obj": (DATA / "negative_indices.obj").read_bytes(),
    "off": (DATA / "comments.off").read_bytes(),
    "ply-ascii": (DATA / "tet.ply").read_bytes()
    if (DATA / "tet.ply").read_bytes().startswith(b"ply\nformat ascii")
    else b"ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nproperty float y\nproperty float z\n"
    b"element face 1\nproperty list uchar int vertex_indices\nend_header\n0 0 0\n1 0 0\n0 1 0\n3 0 1 2\n",
    "ply-binary": (DATA / "cube_binary.ply").read_bytes(),
    "3mf": (DATA / "box.3mf").read_bytes(),
}


def _check(data: bytes) -> None:
    try:
        part = makeready.load(data, limits=LIMITS)
    except MakereadyError:
        return
    assert part.triangle_count > 0


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    seed = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "dup"]))
        pos = draw(st.integers(0, max(len(seed) - 1, 0)))
        if op == "flip" and seed:
            seed[pos] = draw(st.integers(0, 255))
        elif op == "cut":
            del seed[pos : pos + draw(st.integers(1, 64))]
        elif op == "insert":
            seed[pos:pos] = draw(st.binary(min_size=1, max_size=16))
        elif op == "dup":
            seed[pos:pos] = seed[pos : pos + draw(st.integers(1, 64))]
    return bytes(seed)


@st.composite
def mutated_3mf_model(draw: st.DrawFn) -> bytes:
    """Mutate the XML inside a valid 3MF and re-zip it, so the XML layer is fuzzed, not just the zip."""
    with zipfile.ZipFile(io.BytesIO(SEEDS["3mf"])) as z:
        entries = {n: z.read(n) for n in z.namelist()}
    model = next(n for n in entries if n.endswith(".model"))
    text = bytearray(entries[model])
    for _ in range(draw(st.integers(1, 6))):
        pos = draw(st.integers(0, len(text) - 1))
        text[pos : pos + draw(st.integers(0, 8))] = draw(
            st.sampled_from([b"<", b">", b'"', b"-1", b"1e999", b"nan", b"", b"99"])
        )
    entries[model] = bytes(text)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    _check(data)


@SETTINGS
@given(mutated())
def test_mutated_files(data):
    _check(data)


@SETTINGS
@given(mutated_3mf_model())
def test_mutated_3mf_xml(data):
    _check(data)


@SETTINGS
@given(
    st.sampled_from(
        [b"solid x\n", b"ply\nformat ascii 1.0\n", b"OFF\n", b"v 1 2 3\nf 1 2 3\n", b"PK\x03\x04"]
    ),
    st.binary(max_size=512),
)
def test_magic_prefix_then_garbage(prefix, tail):
    _check(prefix + tail)
