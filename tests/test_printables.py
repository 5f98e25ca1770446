"""Printables: PNG stacks whose pixels add up to the slice areas, CLI files whose hatches fill them."""

from __future__ import annotations

import io
import json
import re
import struct
import tarfile

import numpy as np
import pytest
from PIL import Image

from makeready.geometry.slicing import slice_part
from makeready.printables import CliSettings, PngStack, hatch_layer, png_stack, write_cli
from tests.meshes import part, tube, uv_sphere


@pytest.fixture(scope="module")
def ring_slices():
    return slice_part(part(*tube(12.0, 7.0, 6.0, 128)), 0.5, 0.5)


def _open(archive: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def test_png_pixels_match_slice_areas(ring_slices):
    settings = PngStack(
        width_px=640, height_px=640, pixel_mm=0.05, exposure={"layer_s": 2.5, "first_layer_s": 9.0}
    )
    files = _open(png_stack(ring_slices, settings))
    manifest = json.loads(files["manifest.json"])
    assert manifest["exposure"]["layer_s"] == 2.5
    assert len(manifest["layers"]) == len(ring_slices.layers) == 12
    for entry, layer in zip(manifest["layers"], ring_slices.layers, strict=True):
        image = np.asarray(Image.open(io.BytesIO(files[entry["file"]])), np.float64)
        assert image.shape == (640, 640)
        covered = image.sum() / 255.0 * 0.05**2
        assert covered == pytest.approx(layer.area, rel=0.01)
        grey = ((image > 0) & (image < 255)).sum()
        assert grey > 0  # anti-aliased edges
        assert image[320, 320] == 0  # the bore stays dark


def test_png_off_centre_and_sphere():
    slices = slice_part(part(*uv_sphere(8.0, 128, 64)), 0.4)
    files = _open(png_stack(slices, PngStack(width_px=400, height_px=400, pixel_mm=0.05, centre=(0.0, 0.0))))
    middle = slices.layers[len(slices.layers) // 2]
    image = np.asarray(Image.open(io.BytesIO(files[f"layer_{middle.index + 1:04d}.png"])), np.float64)
    assert image.sum() / 255.0 * 0.05**2 == pytest.approx(middle.area, rel=0.01)


def _parse_cli(text: str) -> list[dict[str, list[np.ndarray]]]:
    """A minimal independent reader for ASCII CLI."""
    assert text.startswith("$$HEADERSTART")
    assert "$$GEOMETRYEND" in text
    declared = int(re.search(r"\$\$LAYERS/(\d+)", text).group(1))  # type: ignore[union-attr]
    layers: list[dict[str, list[np.ndarray]]] = []
    for line in text.splitlines():
        if line.startswith("$$LAYER/"):
            layers.append({"z": [np.array([float(line.split("/")[1])])], "poly": [], "hatch": []})
        elif line.startswith("$$POLYLINE/"):
            values = [float(v) for v in line.split("/")[1].split(",")]
            n = int(values[2])
            layers[-1]["poly"].append(np.array(values[3:]).reshape(n, 2))
        elif line.startswith("$$HATCHES/"):
            values = [float(v) for v in line.split("/")[1].split(",")]
            n = int(values[1])
            layers[-1]["hatch"].append(np.array(values[2:]).reshape(n, 2, 2))
    assert len(layers) == declared
    return layers


def _parse_binary_cli(data: bytes) -> list[dict[str, list[np.ndarray]]]:
    """An independent reader for binary CLI, written from the CLI 2.0 specification.

    After ``$$HEADEREND`` come little-endian commands: a uint16 number, then its parameters;
    127 start layer long (float32 z), 130 polyline long (int32 id, dir, n; n float32 pairs),
    132 hatches long (int32 id, n; n float32 quadruples).
    """
    head, _, geometry = data.partition(b"$$HEADEREND")
    assert head.startswith(b"$$HEADERSTART")
    assert b"$$BINARY" in head
    declared = int(re.search(rb"\$\$LAYERS/(\d+)", head).group(1))  # type: ignore[union-attr]
    assert re.search(rb"\$\$UNITS/0*1\.0+", head)
    layers: list[dict[str, list[np.ndarray]]] = []
    at = 0
    while at < len(geometry):
        (command,) = struct.unpack_from("<H", geometry, at)
        at += 2
        if command == 127:
            (z,) = struct.unpack_from("<f", geometry, at)
            at += 4
            layers.append({"z": [np.array([z])], "poly": [], "hatch": []})
        elif command == 130:
            _, _, n = struct.unpack_from("<iii", geometry, at)
            at += 12
            layers[-1]["poly"].append(np.frombuffer(geometry, "<f4", 2 * n, at).reshape(n, 2).astype(float))
            at += 8 * n
        elif command == 132:
            _, n = struct.unpack_from("<ii", geometry, at)
            at += 8
            layers[-1]["hatch"].append(
                np.frombuffer(geometry, "<f4", 4 * n, at).reshape(n, 2, 2).astype(float)
            )
            at += 16 * n
        else:
            raise AssertionError(f"unknown binary CLI command {command} at byte {at - 2}")
    assert len(layers) == declared
    return layers


@pytest.mark.parametrize("binary", [True, False])
def test_cli_hatches_fill_the_layers(ring_slices, binary):
    settings = CliSettings(hatch_spacing=0.1, binary=binary)
    content, seconds = write_cli(ring_slices, settings)
    layers = _parse_binary_cli(content) if binary else _parse_cli(content.decode("ascii"))
    assert len(layers) == len(ring_slices.layers)
    hatch_total = 0.0
    for parsed, layer in zip(layers, ring_slices.layers, strict=True):
        assert parsed["z"][0][0] == pytest.approx(layer.top, abs=1e-5 if not binary else 1e-4)
        assert len(parsed["poly"]) == 2  # outer wall and bore
        assert all(np.allclose(p[0], p[-1]) for p in parsed["poly"])  # closed contours
        hatches = np.concatenate(parsed["hatch"])
        length = np.linalg.norm(hatches[:, 1] - hatches[:, 0], axis=1).sum()
        hatch_total += length
        # Hatch lines 0.1 mm apart over the region shrunk by half a spacing cover its area.
        inner = layer.shape.buffer(-0.05).area
        assert length * 0.1 == pytest.approx(inner, rel=0.03)
    contour = sum(
        np.linalg.norm(np.diff(p, axis=0), axis=1).sum() for parsed in layers for p in parsed["poly"]
    )
    expected = hatch_total / 1000.0 + contour / 250.0 + 12 * 30.0
    assert seconds == pytest.approx(expected, rel=1e-3)


def test_binary_cli_is_a_fraction_of_ascii(ring_slices):
    binary, _ = write_cli(ring_slices, CliSettings(hatch_spacing=0.1))
    ascii_, _ = write_cli(ring_slices, CliSettings(hatch_spacing=0.1, binary=False))
    assert len(binary) < 0.5 * len(ascii_)


def test_hatch_angle_turns_every_layer(ring_slices):
    first = hatch_layer(ring_slices.layers[0].shape, 0.2, 0.0).hatches
    turned = hatch_layer(ring_slices.layers[0].shape, 0.2, 67.0).hatches
    direction = lambda h: np.degrees(np.arctan2(*(h[0, 1] - h[0, 0])[::-1])) % 180  # noqa: E731
    assert direction(first) == pytest.approx(0.0, abs=1e-6)
    assert direction(turned) == pytest.approx(67.0, abs=1e-6)


def test_stripes_cut_the_hatch_without_losing_length(ring_slices):
    shape = ring_slices.layers[0].shape
    whole = hatch_layer(shape, 0.2, 30.0)
    striped = hatch_layer(shape, 0.2, 30.0, stripe=5.0)
    assert len(striped.hatches) > len(whole.hatches)
    assert striped.hatch_length == pytest.approx(whole.hatch_length, rel=1e-9)
    # In the hatch frame every piece lies inside one 5 mm stripe.
    c, s = np.cos(np.radians(30.0)), np.sin(np.radians(30.0))
    along = striped.hatches[..., 0] * c + striped.hatches[..., 1] * s
    band = np.floor(along.min(axis=1) / 5.0 + 1e-9)
    assert (along.max(axis=1) <= (band + 1) * 5.0 + 1e-6).all()


def test_fill_lines_never_leave_the_region():
    # A self-intersecting island (a bow tie, as simplifying a thin spike can leave) and a
    # concave one: before, GEOS raised a TopologyException on the bow tie, and on a rotated
    # copy of a nearly degenerate island reported rows outside it as inside, so the G-code
    # printed infill across empty space (36 m of it on the 20 k torus knot).
    import shapely
    from shapely.geometry import MultiPolygon, Polygon

    from makeready.printables.paths import fill_lines

    bow_tie = Polygon([(0, 0), (20, 10), (20, 0), (0, 10)])
    crescent = Polygon([(30, 0), (50, 0), (50, 20), (30, 20), (30, 15), (45, 15), (45, 5), (30, 5)])
    region = MultiPolygon([bow_tie, crescent])
    valid = shapely.make_valid(region).buffer(1e-6)
    for angle in (0.0, 30.0, 45.0, 67.0, 90.0, 135.0):
        lines = fill_lines(region, 0.5, angle)
        assert len(lines) > 10
        assert shapely.covers(valid, shapely.linestrings(lines)).all(), angle


def _whole_screen(shape, settings: PngStack) -> np.ndarray:
    """The plain way: the whole screen drawn supersampled, then averaged down (the reference)."""
    from PIL import ImageDraw

    s = settings.supersample
    canvas = Image.new("L", (settings.width_px * s, settings.height_px * s), 0)
    draw = ImageDraw.Draw(canvas)
    cx, cy = settings.centre
    scale = s / settings.pixel_mm

    def pixels(ring):
        xy = np.asarray(ring.coords, np.float64)
        px = (xy[:, 0] - cx) * scale + settings.width_px * s / 2.0
        py = settings.height_px * s / 2.0 - (xy[:, 1] - cy) * scale
        return list(zip(px.tolist(), py.tolist(), strict=True))

    for polygon in sorted(shape.geoms, key=lambda g: -g.area):
        draw.polygon(pixels(polygon.exterior), fill=255)
        for hole in polygon.interiors:
            draw.polygon(pixels(hole), fill=0)
    if s > 1:
        canvas = canvas.resize((settings.width_px, settings.height_px), Image.Resampling.BOX)
    return np.asarray(canvas)


@pytest.mark.parametrize(
    ("size", "pixel", "supersample", "centre"),
    [
        ((1620, 2560), 0.05, 3, (0.0, 0.0)),
        ((1280, 800), 0.05, 3, (3.3, -7.1)),
        ((640, 400), 0.0757, 1, (0, 0)),
    ],
)
def test_a_layer_drawn_in_its_window_equals_the_whole_screen_drawn(size, pixel, supersample, centre) -> None:
    """Layers are drawn only in the window of whole pixels around their shapes (2026-12-04: the
    SL1S tray of a T and a cube went from 27 s to 9 s); every pixel must equal the whole-screen
    drawing, on a tube (holes) and a sphere, including a part standing off the screen's edge."""
    from makeready.printables.dlp_png import draw_layer

    settings = PngStack(
        width_px=size[0], height_px=size[1], pixel_mm=pixel, supersample=supersample, centre=centre
    )
    for mesh in (part(*tube(8.0, 5.0, 6.0)), part(*uv_sphere(9.0, 64, 32))):
        for layer in slice_part(mesh, 0.7, 0.7).layers:
            assert np.array_equal(
                np.asarray(draw_layer(layer.shape, settings)), _whole_screen(layer.shape, settings)
            )
    edge = PngStack(width_px=200, height_px=100, pixel_mm=0.05, supersample=3, centre=(4.0, 0.0))  # 10 x 5 mm
    for layer in slice_part(part(*uv_sphere(9.0, 32, 16)), 1.0, 1.0).layers:
        assert np.array_equal(np.asarray(draw_layer(layer.shape, edge)), _whole_screen(layer.shape, edge))
