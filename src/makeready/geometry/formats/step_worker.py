"""Child process that reads one STEP file with OpenCascade (OCP bindings), under limits.

OpenCascade is native code: a hostile or broken STEP can make it crash or allocate without
bound. Running it here, with an address-space limit set before the work starts, keeps that
away from the caller, who sees only an exit status.

What it does, per B-rep solid (or free shell) of the file:

1. tessellates the shape with ``BRepMesh_IncrementalMesh`` (linear and angular deflection);
2. welds the per-face triangulations along the B-rep's own topology: every node that lies on a
   B-rep edge is keyed by that edge and its position on the edge's discretisation (shared by
   both faces, and by both sides of a seam), every edge end by its B-rep vertex, and degenerate
   edges (a sphere's pole, a cone's apex) collapse to their vertex. A closed solid therefore
   gives a closed mesh by construction, whatever the coordinates' rounding;
3. measures the exact volume, surface area and centre of mass of the B-rep with
   ``BRepGProp`` (adaptive integration to :data:`MASS_PROPERTIES_EPS` relative error; the
   default Gauss rule is off by 0.04 % on B-spline faces).

Assemblies are walked through the XCAF document, so every solid keeps the product name (or
the instance name) the CAD system gave it, placed by the assembly's locations.

Usage: ``python -m makeready.geometry.formats.step_worker IN.step OUT.npz TOL_MM TOL_RAD MAX_BYTES``

The output is an uncompressed ``.npz`` with ``v{i}`` (float64, mm) and ``f{i}`` (int64)
per body and ``meta`` (a JSON string: name, closed, volume, area, centre per body). Exit
status 3 means the file held no shape.
"""

from __future__ import annotations

import json
import resource
import sys
from typing import Any

import numpy as np

#: Relative error bound of the adaptive B-rep mass-property integration.
MASS_PROPERTIES_EPS = 1e-7


def main(argv: list[str]) -> int:
    """Read ``argv[0]`` and write the bodies to ``argv[1]``; exit 0 on success, 3 when empty."""
    source, target, tolerance, angular, max_bytes = argv
    limit = int(max_bytes)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # an unprivileged process can only lower its hard limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY else limit))
    solids = _read_solids(source)
    if not solids:
        return 3
    from OCP.BRepMesh import BRepMesh_IncrementalMesh

    arrays: dict[str, Any] = {}
    meta: list[dict[str, Any]] = []
    for name, shape in solids:
        # relative=False: the deflection is in mm, the unit the STEP reader converts to.
        BRepMesh_IncrementalMesh(shape, float(tolerance), False, float(angular), True)
        vertices, faces = _welded_mesh(shape)
        if len(faces) == 0:
            continue
        arrays[f"v{len(meta)}"] = vertices
        arrays[f"f{len(meta)}"] = faces
        meta.append({"name": name, **_mass_properties(shape)})
    if not meta:
        return 3
    arrays["meta"] = np.array(json.dumps(meta))
    with open(target, "wb") as handle:
        np.savez(handle, **arrays)
    return 0


def _read_solids(path: str) -> list[tuple[str, Any]]:
    """Every solid of the file (free shells where a shape has no solid), with its name, placed."""
    from OCP.collections import Sequence_TDF_Label as TDF_LabelSequence
    from OCP.IFSelect import IFSelect_RetDone
    from OCP.STEPCAFControl import STEPCAFControl_Reader
    from OCP.TCollection import TCollection_ExtendedString
    from OCP.TDocStd import TDocStd_Document
    from OCP.TopLoc import TopLoc_Location
    from OCP.XCAFDoc import XCAFDoc_DocumentTool

    document = TDocStd_Document(TCollection_ExtendedString("MDTV-XCAF"))
    reader = STEPCAFControl_Reader()
    reader.SetNameMode(True)
    if reader.ReadFile(path) != IFSelect_RetDone:
        raise SystemExit(4)
    if not reader.Transfer(document):
        raise SystemExit(4)
    tool = XCAFDoc_DocumentTool.ShapeTool_s(document.Main())
    roots = TDF_LabelSequence()
    tool.GetFreeShapes(roots)
    found: list[tuple[str, Any]] = []
    for i in range(1, roots.Length() + 1):
        _walk(tool, roots.Value(i), TopLoc_Location(), "", found)
    return found


def _walk(tool: Any, label: Any, location: Any, inherited: str, found: list[tuple[str, Any]]) -> None:
    """Collect the solids under an XCAF label, composing the assembly locations."""
    from OCP.collections import Sequence_TDF_Label as TDF_LabelSequence
    from OCP.TDF import TDF_Label
    from OCP.XCAFDoc import XCAFDoc_ShapeTool

    name = _label_name(label) or inherited
    if XCAFDoc_ShapeTool.IsAssembly_s(label):
        components = TDF_LabelSequence()
        XCAFDoc_ShapeTool.GetComponents_s(label, components, False)
        for i in range(1, components.Length() + 1):
            component = components.Value(i)
            placed = location.Multiplied(XCAFDoc_ShapeTool.GetLocation_s(component))
            referred = TDF_Label()
            if XCAFDoc_ShapeTool.GetReferredShape_s(component, referred):
                # The product's name first (what the part is), the instance's as the fallback.
                _walk(tool, referred, placed, _label_name(component) or name, found)
        return
    shape = XCAFDoc_ShapeTool.GetShape_s(label)
    if shape.IsNull():
        return
    shape = shape.Moved(location)
    pieces = _pieces(shape)
    for k, piece in enumerate(pieces):
        base = name or "solid"
        found.append((base if len(pieces) == 1 else f"{base} [{k + 1}]", piece))


def _pieces(shape: Any) -> list[Any]:
    """The solids of a shape; its free shells when it has none; the shape itself otherwise."""
    from OCP.TopAbs import TopAbs_SHELL, TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    for kind, avoid in ((TopAbs_SOLID, None), (TopAbs_SHELL, TopAbs_SOLID)):
        explorer = TopExp_Explorer(shape, kind) if avoid is None else TopExp_Explorer(shape, kind, avoid)
        out = []
        while explorer.More():
            out.append(explorer.Current())
            explorer.Next()
        if out:
            return out
    return [shape]


def _label_name(label: Any) -> str:
    from OCP.TDataStd import TDataStd_Name

    attribute = TDataStd_Name()
    if label.FindAttribute(TDataStd_Name.GetID_s(), attribute):
        text: str = attribute.Get().ToExtString()
        return text.strip()
    return ""


def _welded_mesh(shape: Any) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """One indexed mesh of a tessellated shape, welded along its B-rep edges and vertices."""
    from OCP.BRep import BRep_Tool
    from OCP.collections import IndexedMap_TopoDS_Shape_TopTools_ShapeMapHasher as ShapeIndex
    from OCP.TopAbs import TopAbs_EDGE, TopAbs_FACE, TopAbs_REVERSED, TopAbs_VERTEX
    from OCP.TopExp import TopExp, TopExp_Explorer
    from OCP.TopLoc import TopLoc_Location
    from OCP.TopoDS import TopoDS

    edges = ShapeIndex()
    TopExp.MapShapes_s(shape, TopAbs_EDGE, edges)
    corners = ShapeIndex()
    TopExp.MapShapes_s(shape, TopAbs_VERTEX, corners)
    keys: dict[tuple[int, ...], int] = {}
    positions: list[np.ndarray[Any, Any]] = []
    count = 0
    triangles: list[np.ndarray[Any, Any]] = []
    explorer = TopExp_Explorer(shape, TopAbs_FACE)
    while explorer.More():
        face = TopoDS.Face(explorer.Current())
        explorer.Next()
        location = TopLoc_Location()
        mesh = BRep_Tool.Triangulation_s(face, location)
        if mesh is None or mesh.NbTriangles() == 0:
            continue
        nodes = np.array([mesh.Node(i).Coord() for i in range(1, mesh.NbNodes() + 1)], np.float64)
        if not location.IsIdentity():
            matrix = location.Transformation()
            rotation = np.array([[matrix.Value(r, c) for c in (1, 2, 3)] for r in (1, 2, 3)])
            offset = np.array([matrix.Value(r, 4) for r in (1, 2, 3)])
            nodes = nodes @ rotation.T + offset
        local = np.array([mesh.Triangle(i).Get() for i in range(1, mesh.NbTriangles() + 1)], np.int64) - 1
        global_id = np.full(len(nodes), -1, np.int64)
        boundary = TopExp_Explorer(face, TopAbs_EDGE)
        while boundary.More():
            edge = TopoDS.Edge(boundary.Current())
            boundary.Next()
            # The oriented edge picks the right polygon of a seam (each side has its own).
            polygon = BRep_Tool.PolygonOnTriangulation_s(edge, mesh, location)
            if polygon is None:
                continue
            on_edge = [polygon.Node(i) - 1 for i in range(1, polygon.NbNodes() + 1)]
            first = corners.FindIndex(TopExp.FirstVertex_s(edge, False))
            last = corners.FindIndex(TopExp.LastVertex_s(edge, False))
            degenerate = BRep_Tool.Degenerated_s(edge)
            index = edges.FindIndex(edge)
            for k, node in enumerate(on_edge):
                if degenerate or k == 0:
                    key: tuple[int, ...] = (0, first)
                elif k == len(on_edge) - 1:
                    key = (0, last)
                else:
                    key = (1, index, k)
                found = keys.get(key)
                if found is None:
                    found = keys[key] = count
                    positions.append(nodes[node])
                    count += 1
                global_id[node] = found
        inner = np.flatnonzero(global_id < 0)
        global_id[inner] = np.arange(count, count + len(inner))
        positions.extend(nodes[inner])
        count += len(inner)
        if face.Orientation() == TopAbs_REVERSED:
            local = local[:, ::-1]
        triangles.append(global_id[local])
    if not triangles:
        return np.zeros((0, 3)), np.zeros((0, 3), np.int64)
    faces = np.vstack(triangles)
    # A degenerate edge collapses a row of nodes onto its vertex: drop the triangles it flattens.
    keep = (faces[:, 0] != faces[:, 1]) & (faces[:, 1] != faces[:, 2]) & (faces[:, 2] != faces[:, 0])
    return np.asarray(positions, np.float64).reshape(-1, 3), faces[keep]


def _mass_properties(shape: Any) -> dict[str, Any]:
    """Exact volume (mm³), area (mm²) and centre of mass (mm) of the B-rep; closed or not."""
    from OCP.BRep import BRep_Tool
    from OCP.BRepGProp import BRepGProp
    from OCP.GProp import GProp_GProps
    from OCP.TopAbs import TopAbs_SHELL, TopAbs_SOLID
    from OCP.TopExp import TopExp_Explorer

    closed = shape.ShapeType() == TopAbs_SOLID
    explorer = TopExp_Explorer(shape, TopAbs_SHELL)
    while explorer.More():
        closed = closed and BRep_Tool.IsClosed_s(explorer.Current())
        explorer.Next()
    surface = GProp_GProps()
    BRepGProp.SurfaceProperties_s(shape, surface, MASS_PROPERTIES_EPS)
    out: dict[str, Any] = {"closed": bool(closed), "area": surface.Mass(), "volume": None, "center": None}
    if closed:
        volume = GProp_GProps()
        BRepGProp.VolumeProperties_s(shape, volume, MASS_PROPERTIES_EPS)
        centre = volume.CentreOfMass()
        out["volume"] = volume.Mass()
        out["center"] = [centre.X(), centre.Y(), centre.Z()]
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
