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


def box(size=(1.0, 1.0, 1.0), offset=(0.0, 0.0, 0.0)):
    """Axis-aligned box with its low corner at ``offset``: 12 outward triangles."""
    return CUBE_V * np.asarray(size, float) + np.asarray(offset, float), CUBE_F.copy()


def merged(*meshes):
    """Several (vertices, faces) meshes as one vertex/face list (separate shells)."""
    verts, faces, shift = [], [], 0
    for v, f in meshes:
        verts.append(np.asarray(v, float))
        faces.append(np.asarray(f) + shift)
        shift += len(v)
    return np.concatenate(verts), np.concatenate(faces)


def tube(outer=5.0, inner=4.2, height=10.0, n=128):
    """Closed tube (annulus extruded along z): outer wall, inner wall, top and bottom rings."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    ring = np.stack([np.cos(t), np.sin(t), np.zeros(n)], 1)
    up = np.array([0.0, 0.0, height])
    verts = np.concatenate([ring * outer, ring * outer + up, ring * inner, ring * inner + up])
    i = np.arange(n)
    j = (i + 1) % n
    ob, ot, ib, it = i, n + i, 2 * n + i, 3 * n + i
    obj, otj, ibj, itj = j, n + j, 2 * n + j, 3 * n + j
    faces = np.concatenate(
        [
            np.stack([ob, obj, otj], 1), np.stack([ob, otj, ot], 1),  # outer wall, facing out
            np.stack([ib, itj, ibj], 1), np.stack([ib, it, itj], 1),  # inner wall, facing the axis
            np.stack([ot, otj, itj], 1), np.stack([ot, itj, it], 1),  # top ring, +z
            np.stack([ob, ibj, obj], 1), np.stack([ob, ib, ibj], 1),  # bottom ring, -z
        ]
    )  # fmt: skip
    return verts, faces


def wedge(length=20.0, width=40.0, angle_deg=20.0):
    """Prism whose cross-section is the right triangle (0,0)-(L,0)-(L, L tan a) in x-z, extruded along y.

    The sharp edge lies on the y axis; the bottom is z = 0 and the slanted top makes angle ``a``
    with it.
    """
    h = length * np.tan(np.radians(angle_deg))
    verts = np.array(
        [[0, 0, 0], [length, 0, 0], [length, 0, h], [0, width, 0], [length, width, 0], [length, width, h]],
        float,
    )
    faces = np.array(
        [
            [0, 1, 2],  # side y=0, normal -y
            [3, 5, 4],  # side y=W, +y
            [0, 4, 1], [0, 3, 4],  # bottom, -z
            [1, 5, 2], [1, 4, 5],  # end x=L, +x
            [0, 5, 3], [0, 2, 5],  # slanted top
        ]
    )  # fmt: skip
    return verts, faces


def mixed_outlines(count=50, seed=1):
    """Rectangles, discs and L-shapes in turn, with seeded random sizes (mm): a nesting workload."""
    from shapely.geometry import Point, Polygon
    from shapely.geometry import box as rectangle

    rng = np.random.default_rng(seed)
    shapes = []
    for i in range(count):
        if i % 3 == 0:
            shapes.append(rectangle(0, 0, rng.uniform(10, 40), rng.uniform(5, 30)))
        elif i % 3 == 1:
            shapes.append(Point(0, 0).buffer(rng.uniform(4, 15)))
        else:
            shapes.append(Polygon([(0, 0), (30, 0), (30, 8), (8, 8), (8, 25), (0, 25)]))
    return shapes


def subdivide(vertices, faces, levels=1):
    """Split every triangle into four at its edge midpoints, ``levels`` times (shared midpoints)."""
    v, f = np.asarray(vertices, float), np.asarray(faces)
    for _ in range(levels):
        edges = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
        key = np.sort(edges, axis=1)
        unique, inverse = np.unique(key, axis=0, return_inverse=True)
        mid = len(v) + inverse.reshape(3, -1).T  # (m, 3): midpoints of edges 01, 12, 20
        v = np.concatenate([v, v[unique].mean(axis=1)])
        a, b, c = f.T
        ab, bc, ca = mid.T
        f = np.concatenate(
            [
                np.stack([a, ab, ca], 1),
                np.stack([ab, b, bc], 1),
                np.stack([ca, bc, c], 1),
                np.stack([ab, bc, ca], 1),
            ]
        )
    return v, f


def boxes_union(*boxes):
    """The union of axis-aligned boxes ``(size, corner)`` as one closed mesh (manifold3d)."""
    import manifold3d

    solid = None
    for size, corner in boxes:
        cube = manifold3d.Manifold.cube(size, False).translate(corner)
        solid = cube if solid is None else solid + cube
    mesh = solid.to_mesh()
    return np.asarray(mesh.vert_properties, float)[:, :3], np.asarray(mesh.tri_verts, np.int64)


def intersection_volume(a, b):
    """Volume shared by two closed meshes (manifold3d boolean), mm³."""
    import manifold3d

    def solid(mesh):
        v, f = mesh
        return manifold3d.Manifold(manifold3d.Mesh(np.asarray(v, np.float32), np.asarray(f, np.uint32)))

    return (solid(a) ^ solid(b)).volume()


def prism(sides: int, radius: float, length: float):
    """A regular polygon of ``sides`` corners on ``radius`` (mm) extruded ``length`` up z from z = 0
    (``sides`` 128: a cylinder as CAD exports it; a shaft, or a flange when short)."""
    import trimesh

    mesh = trimesh.creation.cylinder(radius=radius, height=length, sections=sides)
    return np.asarray(mesh.vertices) + np.array([0.0, 0.0, length / 2]), np.asarray(mesh.faces)
