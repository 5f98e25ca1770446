"""Writes ``analytic_solids.step``: solids whose exact volume and area are known in closed form.

Run with the OCP bindings installed (``python tests/data/step/make_analytic_step.py``); the
file is committed, so the tests need only the reader. Every solid is an OpenCascade primitive
(sphere, cylinder, cone, torus, a box with a through hole), named in the XCAF document so the
STEP carries product names, placed by an assembly that uses the cylinder twice (two instances,
two locations). Coordinates in mm. The truths are in ``tests/test_step.py``.
"""

from __future__ import annotations

import pathlib
import sys

from OCP.BRepAlgoAPI import BRepAlgoAPI_Cut
from OCP.BRepPrimAPI import (
    BRepPrimAPI_MakeBox,
    BRepPrimAPI_MakeCone,
    BRepPrimAPI_MakeCylinder,
    BRepPrimAPI_MakeSphere,
    BRepPrimAPI_MakeTorus,
)
from OCP.gp import gp_Ax2, gp_Dir, gp_Pnt, gp_Trsf, gp_Vec
from OCP.IFSelect import IFSelect_RetDone
from OCP.STEPCAFControl import STEPCAFControl_Writer
from OCP.STEPControl import STEPControl_AsIs
from OCP.TCollection import TCollection_ExtendedString
from OCP.TDataStd import TDataStd_Name
from OCP.TDocStd import TDocStd_Document
from OCP.TopLoc import TopLoc_Location
from OCP.XCAFDoc import XCAFDoc_DocumentTool


def _at(x: float, y: float, z: float) -> gp_Ax2:
    return gp_Ax2(gp_Pnt(x, y, z), gp_Dir(0, 0, 1))


def main(target: pathlib.Path) -> None:
    holed = BRepAlgoAPI_Cut(
        BRepPrimAPI_MakeBox(gp_Pnt(100, 0, 0), 20, 10, 5).Shape(),
        BRepPrimAPI_MakeCylinder(_at(110, 5, -1), 2, 7).Shape(),
    ).Shape()
    parts = {
        "sphere r10": BRepPrimAPI_MakeSphere(gp_Pnt(0, 0, 10), 10).Shape(),
        "cone r6 h12": BRepPrimAPI_MakeCone(_at(30, 0, 0), 6, 0, 12).Shape(),
        "torus R10 r3": BRepPrimAPI_MakeTorus(_at(60, 0, 3), 10, 3).Shape(),
        "plate with hole": holed,
    }
    document = TDocStd_Document(TCollection_ExtendedString("MDTV-XCAF"))
    tool = XCAFDoc_DocumentTool.ShapeTool_s(document.Main())
    assembly = tool.NewShape()
    TDataStd_Name.Set_s(assembly, TCollection_ExtendedString("analytic assembly"))
    for name, shape in parts.items():
        label = tool.AddShape(shape, False)
        TDataStd_Name.Set_s(label, TCollection_ExtendedString(name))
        tool.AddComponent(assembly, label, TopLoc_Location())
    cylinder = tool.AddShape(BRepPrimAPI_MakeCylinder(_at(0, 0, 0), 5, 20).Shape(), False)
    TDataStd_Name.Set_s(cylinder, TCollection_ExtendedString("cylinder r5 h20"))
    for dy in (40.0, 60.0):
        move = gp_Trsf()
        move.SetTranslation(gp_Vec(0, dy, 0))
        tool.AddComponent(assembly, cylinder, TopLoc_Location(move))
    tool.UpdateAssemblies()
    writer = STEPCAFControl_Writer()
    writer.SetNameMode(True)
    writer.Transfer(document, STEPControl_AsIs)
    if writer.Write(str(target)) != IFSelect_RetDone:
        sys.exit("writing failed")


if __name__ == "__main__":
    main(pathlib.Path(__file__).with_name("analytic_solids.step"))
