"""The 3D Print API's visual file of a mesh: binary glTF (.glb) with the mesh and its problems.

glTF 2.0 is what browsers (three.js, <model-viewer>), Blender, Windows 3D Viewer and most CAD
viewers open. Lengths are metres, as the glTF specification fixes them. One node per body of
the part (grey; textured bodies carry their images and UVs, a node per image), and, once the
mesh is analysed, one node per problem type at its locations: triangles as red faces,
vertices as points, edges and hole boundaries as lines.
"""

from __future__ import annotations

import dataclasses
import io
from typing import TYPE_CHECKING, Any

import numpy as np

from makeready.geometry.mesh import Body, Part

if TYPE_CHECKING:
    from makeready.workflows.trays import Tray

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
        name = body.name or f"body{index}"
        for suffix, mesh in _body_meshes(body):
            scene.add_geometry(mesh, node_name=name + suffix, geom_name=name + suffix)
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


def _body_meshes(body: Body) -> list[tuple[str, Any]]:
    """Trimesh meshes for one body (metres): one per texture image it samples, one for the rest.

    Textured triangles get their own corners (a vertex on a texture seam has two UVs), so the
    texture maps exactly as the file mapped it; glTF viewers need UVs per vertex.
    """
    import trimesh

    appearance = body.appearance
    textured = np.zeros(len(body.faces), bool)
    meshes: list[tuple[str, Any]] = []
    if appearance is not None:
        has_uv = np.isfinite(appearance.uvs).all(axis=(1, 2))
        for k, image in enumerate(appearance.textures):
            rows = np.flatnonzero(has_uv & (appearance.texture == k))
            if len(rows) == 0:
                continue
            textured[rows] = True
            corners = body.vertices[body.faces[rows]].reshape(-1, 3) * M_PER_MM
            visual = trimesh.visual.TextureVisuals(  # type: ignore[no-untyped-call]
                uv=appearance.uvs[rows].reshape(-1, 2),
                material=trimesh.visual.material.PBRMaterial(  # type: ignore[no-untyped-call]
                    baseColorTexture=_image(image.data), metallicFactor=0.0, roughnessFactor=1.0
                ),
            )
            faces = np.arange(len(corners)).reshape(-1, 3)
            mesh = trimesh.Trimesh(corners, faces, visual=visual, process=False)
            meshes.append((f"/texture{k}" if meshes or k else "", mesh))
    rest = np.flatnonzero(~textured)
    if len(rest):
        colors = np.tile(_PART_RGBA, (len(rest), 1))
        mesh = trimesh.Trimesh(body.vertices * M_PER_MM, body.faces[rest], face_colors=colors, process=False)
        meshes.insert(0, ("", mesh)) if not meshes else meshes.append(("/untextured", mesh))
    return meshes


def _image(data: bytes) -> Any:
    """A decoded texture (PIL image); glTF carries it again as PNG."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def tray_glb(tray: Tray) -> bytes:
    """A tray as a .glb: every mesh where it stands (a node per mesh) and its supports, metres."""
    bodies = []
    for mesh in tray.meshes:
        bodies += [dataclasses.replace(body, name=mesh.name) for body in mesh.placed().bodies]
        support = tray.supports.get(mesh.id)
        if support is not None:
            bodies += [dataclasses.replace(body, name=f"{mesh.name} supports") for body in support.bodies]
    return visual_glb(Part(tuple(bodies), "tray", name="tray"))
