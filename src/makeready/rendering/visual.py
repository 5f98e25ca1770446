"""The 3D Print API's visual file of a mesh: binary glTF (.glb) with the mesh and its problems.

glTF 2.0 is what browsers (three.js, <model-viewer>), Blender, Windows 3D Viewer and most CAD
viewers open. Lengths are metres, as the glTF specification fixes them. One node per body of
the part (grey), and, once the mesh is analysed, one node per problem type at its locations:
triangles as red faces, vertices as points, edges and hole boundaries as lines.
"""

from __future__ import annotations

import dataclasses
import io
from typing import TYPE_CHECKING, Any

import numpy as np

from makeready.geometry.mesh import Part

if TYPE_CHECKING:
    from makeready.trays import Tray

__all__ = ["GLB_MEDIA_TYPE", "tray_glb", "visual_glb"]

GLB_MEDIA_TYPE = "model/gltf-binary"
M_PER_MM, M_PER_CM = 0.001, 0.01
_PART_RGBA = (180, 180, 180, 255)
_PROBLEM_RGBA = (220, 40, 40, 255)


def visual_glb(part: Part, problems: list[dict[str, Any]] | None = None) -> bytes:
    """The part (mm) and its problems (the API's problem objects, locations in cm) as a .glb file."""
    import trimesh

    scene = trimesh.Scene()
    for index, body in enumerate(part.bodies):
        if not len(body.faces):
            continue
        colors = np.tile(_PART_RGBA, (len(body.faces), 1))
        mesh = trimesh.Trimesh(body.vertices * M_PER_MM, body.faces, face_colors=colors, process=False)
        name = body.name or f"body{index}"
        scene.add_geometry(mesh, node_name=name, geom_name=name)
    for problem in problems or []:
        kind = str(problem.get("type", "problem"))
        if problem.get("triangles"):
            corners = np.array([[t["v0"], t["v1"], t["v2"]] for t in problem["triangles"]], np.float64)
            corners *= M_PER_CM
            faces = np.arange(len(corners) * 3).reshape(-1, 3)
            colors = np.tile(_PROBLEM_RGBA, (len(faces), 1))
            marked = trimesh.Trimesh(corners.reshape(-1, 3), faces, face_colors=colors, process=False)
            scene.add_geometry(marked, node_name=kind, geom_name=kind)
        if problem.get("vertices"):
            points = np.asarray(problem["vertices"], np.float64).reshape(-1, 3) * M_PER_CM
            cloud = trimesh.PointCloud(points, colors=_PROBLEM_RGBA)  # type: ignore[no-untyped-call]
            scene.add_geometry(cloud, node_name=kind, geom_name=kind)
        lines = [np.array([edge["v0"], edge["v1"]], np.float64) for edge in problem.get("edges") or []]
        for boundary in problem.get("boundaries") or []:
            loop = np.asarray(boundary, np.float64).reshape(-1, 3)
            if len(loop) > 1:
                lines.append(np.vstack([loop, loop[:1]]))  # closed: a hole's rim
        if lines:
            # Every polyline as its segments, (k, 2, 3) metres: one line set per problem type.
            segments = np.concatenate([np.stack([line[:-1], line[1:]], axis=1) for line in lines]) * M_PER_CM
            path = trimesh.load_path(segments)
            scene.add_geometry(path, node_name=kind, geom_name=kind)
    out = io.BytesIO()
    out.write(scene.export(file_type="glb"))  # type: ignore[no-untyped-call]
    return out.getvalue()


def tray_glb(tray: Tray) -> bytes:
    """A tray as a .glb: every mesh where it stands (a node per mesh) and its supports, metres."""
    bodies = []
    for mesh in tray.meshes:
        bodies += [dataclasses.replace(body, name=mesh.name) for body in mesh.placed().bodies]
        support = tray.supports.get(mesh.id)
        if support is not None:
            bodies += [dataclasses.replace(body, name=f"{mesh.name} supports") for body in support.bodies]
    return visual_glb(Part(tuple(bodies), "tray", name="tray"))
