"""Tiny hand-built meshes with known problems (shared by the analysis and repair tests)."""

from __future__ import annotations

import numpy as np

from makeready import Body, Part

CUBE_V = np.array(
    [[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [1, 0, 1], [1, 1, 1], [0, 1, 1]], float
)
CUBE_F = np.array(
    [
        [0, 2, 1], [0, 3, 2],  # bottom (z=0), normal -z
        [4, 5, 6], [4, 6, 7],  # top, +z
        [0, 1, 5], [0, 5, 4],  # front y=0, -y
        [1, 2, 6], [1, 6, 5],  # right x=1, +x
        [2, 3, 7], [2, 7, 6],  # back y=1, +y
        [3, 0, 4], [3, 4, 7],  # left x=0, -x
    ]
)  # fmt: skip


def part(vertices, faces, name="body") -> Part:
    return Part((Body(name, np.asarray(vertices, float), np.asarray(faces)),), "test", name=name)


def cube(size=1.0, offset=(0.0, 0.0, 0.0)):
    return CUBE_V * size + np.asarray(offset), CUBE_F.copy()


def moebius(n=12, width=0.3):
    """A Möbius strip: 2n triangles, non-orientable, one boundary loop of 2n edges."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    verts = []
    for s in (-width, width):
        r = 1 + s * np.cos(t / 2)
        verts.append(np.stack([r * np.cos(t), r * np.sin(t), s * np.sin(t / 2)], 1))
    v = np.concatenate(verts)
    faces = []
    for i in range(n):
        j = (i + 1) % n
        a, b = i, n + i
        if j == 0:  # the half twist: the strip's sides swap
            c, d = n + j, j
        else:
            c, d = j, n + j
        faces += [[a, c, b], [b, c, d]]
    return v, np.array(faces)


def uv_sphere(radius=10.0, n_u=48, n_v=24):
    """Closed, outward UV sphere."""
    u = np.linspace(0, 2 * np.pi, n_u, endpoint=False)
    v = np.linspace(0, np.pi, n_v + 1)[1:-1]
    ring = np.stack(
        [
            np.outer(np.sin(v), np.cos(u)),
            np.outer(np.sin(v), np.sin(u)),
            np.outer(np.cos(v), np.ones_like(u)),
        ],
        -1,
    )
    verts = np.concatenate([[[0, 0, 1]], ring.reshape(-1, 3), [[0, 0, -1]]]) * radius
    faces = []
    top, bottom = 0, len(verts) - 1
    idx = lambda r, c: 1 + r * n_u + c % n_u  # noqa: E731
    for c in range(n_u):
        faces.append([top, idx(0, c), idx(0, c + 1)])
        faces.append([bottom, idx(n_v - 2, c + 1), idx(n_v - 2, c)])
    for r in range(n_v - 2):
        for c in range(n_u):
            faces.append([idx(r, c), idx(r + 1, c), idx(r + 1, c + 1)])
            faces.append([idx(r, c), idx(r + 1, c + 1), idx(r, c + 1)])
    return verts, np.array(faces)
