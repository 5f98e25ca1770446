"""3MF: an OPC package reader that applies the specification's rules, and a writer.

Scope: the core specification (objects, meshes, components, build items, transforms, the model
``unit`` applied to vertices *and* translations, metadata), the production extension (model
parts referenced by ``p:path``) and validation of the materials extension's resources. Files
that break a rule are refused with ``3mf.invalid`` and the rule in the message; extensions a
file *requires* but makeready does not implement are refused with
``3mf.unsupported_extension``, as the core specification demands of consumers.

XML is parsed by lxml with DTDs, entity resolution and network access disabled; any
``<!DOCTYPE`` or ``<!ENTITY`` is refused before parsing (3MF forbids DTDs).
"""

from __future__ import annotations

import io
import posixpath
import re
import secrets
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from lxml import etree

from makeready.errors import MakereadyError
from makeready.geometry.appearance import TEXTURE_MEDIA_TYPES, Appearance, TextureImage, image_media_type
from makeready.geometry.formats.archive import SafeZip
from makeready.geometry.formats.common import ReadResult, compact, ensure_finite
from makeready.geometry.mesh import Body, Part
from makeready.limits import LoadLimits
from makeready.units import MM_PER_UNIT

__all__ = ["is_3mf_package", "read_3mf", "write_3mf"]

CORE = "http://schemas.microsoft.com/3dmanufacturing/core/2015/02"
MATERIAL = "http://schemas.microsoft.com/3dmanufacturing/material/2015/02"
PRODUCTION = "http://schemas.microsoft.com/3dmanufacturing/production/2015/06"
SLICE = "http://schemas.microsoft.com/3dmanufacturing/slice/2015/07"
BEAM = "http://schemas.microsoft.com/3dmanufacturing/beamlattice/2017/02"
LEGACY_093 = "http://schemas.microsoft.com/3dmanufacturing/2013/01"
MARKUP_COMPAT = "http://schemas.openxmlformats.org/markup-compatibility/2006"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
XML_NS = "http://www.w3.org/XML/1998/namespace"
REL_MODEL = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"
REL_PRINTTICKET = "http://schemas.microsoft.com/3dmanufacturing/2013/01/printticket"

#: Namespaces of published 3MF specifications. A namespace in the reserved 3MF family that is
#: not one of these names no specification, so the document is not valid 3MF (rule 2.3.2c).
KNOWN_3MF_NAMESPACES = {
    CORE, MATERIAL, PRODUCTION, SLICE, BEAM,
    "http://schemas.microsoft.com/3dmanufacturing/beamlattice/balls/2020/07",
    "http://schemas.microsoft.com/3dmanufacturing/securecontent/2019/04",
    "http://schemas.microsoft.com/3dmanufacturing/securecontent/2019/07",
    "http://schemas.microsoft.com/3dmanufacturing/trianglesets/2021/07",
    "http://schemas.microsoft.com/3dmanufacturing/volumetric/2022/01",
    "http://schemas.microsoft.com/3dmanufacturing/displacement/2022/07",
    "http://schemas.3mf.io/3dmanufacturing/implicit/2023/12",
    "http://schemas.3mf.io/3dmanufacturing/booleanoperations/2023/07",
    "http://schemas.microsoft.com/3dmanufacturing/2013/01",
}  # fmt: skip
_RESERVED_PREFIXES = (
    "http://schemas.microsoft.com/3dmanufacturing/",
    "http://schemas.3mf.io/3dmanufacturing/",
)
#: Extensions whose *required* use makeready honours (materials only carry appearance, which
#: makeready does not need, so requiring them changes no geometry).
SUPPORTED_REQUIRED = {CORE, MATERIAL, PRODUCTION}
OBJECT_TYPES = {"model", "support", "solidsupport", "surface", "other"}
PROPERTY_RESOURCES = {
    "basematerials",
    "colorgroup",
    "texture2dgroup",
    "compositematerials",
    "multiproperties",
}
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$")
_FORBIDDEN_XML = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


def _invalid(rule: str, message: str) -> MakereadyError:
    return MakereadyError("3mf.invalid", f"{message} (3MF rule: {rule})", rule=rule)


def is_3mf_package(archive: SafeZip) -> bool:
    """True when the zip holds a 3MF model part or an OPC content-types file naming one."""
    if any(n.lower().endswith(".model") for n in archive.names()):
        return True
    return archive.find("[Content_Types].xml") is not None and archive.find("_rels/.rels") is not None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
        remove_comments=True, remove_pis=True,
    )  # fmt: skip


def _check_xml_bytes(data: bytes, part_name: str) -> None:
    """The 3MF rules on a part's bytes that come before XML parsing (encoding, no DTD)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")) or (
        b"\x00" in data[:64]
    ):
        raise _invalid("2.3.2 XML encoding", f"part {part_name} is not UTF-8 encoded")
    declared = re.match(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding=[\"']([^\"']+)[\"']", data)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise _invalid(
            "2.3.2 XML encoding", f"part {part_name} declares encoding {declared.group(1)!r}, not UTF-8"
        )
    if _FORBIDDEN_XML.search(data):
        raise MakereadyError(
            "3mf.xml_forbidden",
            f"part {part_name} contains a DOCTYPE or ENTITY declaration, which 3MF forbids",
        )


def _parse_xml(data: bytes, part_name: str) -> etree._Element:
    _check_xml_bytes(data, part_name)
    return _parse_checked(data, part_name)


def _parse_checked(data: bytes, part_name: str) -> etree._Element:
    try:
        return etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise _invalid("2.3 XML well-formedness", f"part {part_name} is not well-formed XML: {exc}") from None


#: Parts at least this large have their plain mesh text read by the compiled scanner before
#: lxml parses the rest; below it lxml alone takes under ~50 ms and numba's start is not worth it.
PLAIN_MESH_MIN_BYTES = 256 * 1024
_PLAIN_OPEN = re.compile(rb"<(vertices|triangles)\s*(/?)>")
_PLAIN_CHILD = {b"vertices": b"vertex", b"triangles": b"triangle"}
_PLAIN_NAMES = {
    name: np.array([list(a.ljust(3, b"\0")) for a in attributes], np.uint8)
    for name, attributes in (
        (b"vertices", (b"x", b"y", b"z")),
        (b"triangles", (b"v1", b"v2", b"v3", b"p1", b"p2", b"p3", b"pid")),  # properties optional
    )
}
#: Every element carries the first three attributes (bit mask).
_PLAIN_REQUIRED = 0b111


@dataclass
class _PlainMeshes:
    """Mesh arrays read from plain ``<vertices>``/``<triangles>`` text before lxml parses a part.

    Each element read this way is left in the part as an empty element carrying the attribute
    ``marker`` (random per part, so no input can forge it) whose value indexes ``arrays``.
    """

    marker: str
    arrays: list[npt.NDArray[Any]] = field(default_factory=list)

    def take(self, element: etree._Element) -> npt.NDArray[Any] | None:
        index = element.get(self.marker)
        return None if index is None else self.arrays[int(index)]


def _read_plain_meshes(data: bytes, min_bytes: int) -> tuple[bytes, _PlainMeshes | None]:
    """Read the plain mesh text of a part with the compiled scanner; the part without it.

    Only where every ``<`` starts a tag (no comment, CDATA section or processing instruction
    beyond the XML declaration) is the text searched, so each ``<vertices>`` found is an
    element; its content is read only if it is entirely plain (see
    :mod:`._xml_mesh_kernels`), otherwise it stays for lxml. The result is the same document
    with the read contents removed, which is well-formed exactly when the input is.
    """
    if len(data) < min_bytes or b"<!" in data:
        return data, None
    declaration = data.find(b"<?")
    if declaration >= 0 and (
        data.find(b"<?", declaration + 2) >= 0 or data[:declaration].strip(b"\xef\xbb\xbf \t\r\n")
    ):
        return data, None
    from makeready.geometry.formats._xml_mesh_kernels import scan_elements

    buf = np.frombuffer(data, np.uint8)
    plain = _PlainMeshes("mr" + secrets.token_hex(8))
    pieces: list[bytes] = []
    done = 0
    for match in _PLAIN_OPEN.finditer(data):
        if match.start() < done:
            continue
        name = match.group(1)
        if match.group(2):
            start = end = stop = match.end()
        else:
            start = match.end()
            end = data.find(b"</" + name, start)
            closing = re.compile(rb"</" + name + rb"\s*>").match(data, end) if end >= 0 else None
            if closing is None:
                continue
            stop = closing.end()
        rows = int(np.count_nonzero(buf[start:end] == 60)) + 1
        as_index = name == b"triangles"
        columns = len(_PLAIN_NAMES[name])
        values = np.empty((0 if as_index else rows, columns), np.float64)
        indices = np.empty((rows if as_index else 0, columns), np.int64)
        slow_index = np.empty(0 if as_index else rows * 3, np.int64)
        slow_text = np.empty(0 if as_index else end - start + 1, np.uint8)
        tag = np.frombuffer(_PLAIN_CHILD[name], np.uint8)
        count, slow_count, slow_length = scan_elements(
            buf,
            start,
            end,
            tag,
            _PLAIN_NAMES[name],
            _PLAIN_REQUIRED,
            as_index,
            values,
            indices,
            slow_index,
            slow_text,
        )
        if count < 0:
            continue
        if slow_count:
            # Numbers of more than 2**53 or beyond 10**±22 (e.g. 17-digit round-trip output):
            # C strtod, correctly rounded like float(), on the validated text.
            converted = np.fromstring(slow_text[:slow_length].tobytes(), sep=" ")
            if len(converted) != slow_count:
                raise AssertionError("the scanner's numbers did not convert")
            values.reshape(-1)[slow_index[:slow_count]] = converted
        array = indices[:count] if as_index else values[:count]
        placeholder = b'<%s %s="%d"/>' % (name, plain.marker.encode(), len(plain.arrays))
        # White space keeps every later line and column where it was, so lxml's messages about
        # the rest of the part (line N, column M) read as they would without the scanner.
        newlines = data.count(b"\n", match.start(), stop)
        pad = (
            stop - data.rfind(b"\n", match.start(), stop) - 1
            if newlines
            else stop - match.start() - len(placeholder)
        )
        if pad < 0:
            continue  # too short to be worth it
        pieces += [data[done : match.start()], placeholder, b"\n" * newlines, b" " * pad]
        plain.arrays.append(array.copy() if len(array) < rows // 2 else array)
        done = stop
    if not plain.arrays:
        return data, None
    pieces.append(data[done:])
    return b"".join(pieces), plain


@dataclass
class _Rel:
    source: str
    target: str
    type: str


@dataclass
class _Package:
    archive: SafeZip
    rels: list[_Rel] = field(default_factory=list)

    def part_exists(self, name: str) -> bool:
        return self.archive.find(name) is not None


def _rels_source(rels_name: str) -> str:
    folder, base = posixpath.split(rels_name)
    parent = posixpath.dirname(folder)  # strip "_rels"
    return posixpath.join("/" + parent.lstrip("/"), base.removesuffix(".rels")) if base != ".rels" else "/"


def _resolve_target(source: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target)
    base = source if source.endswith("/") else posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base or "/", target))


def _read_package(archive: SafeZip) -> _Package:
    package = _Package(archive)
    if archive.find("[Content_Types].xml") is None:
        raise _invalid("OPC content types", "the package has no [Content_Types].xml")
    types = _parse_xml(archive.read("[Content_Types].xml"), "[Content_Types].xml")
    if types.tag != f"{{{CONTENT_TYPES}}}Types":
        raise _invalid("OPC content types", "[Content_Types].xml has no Types root element")
    for name in archive.names():
        if not name.lower().endswith(".rels"):
            continue
        source = _rels_source(name)
        root = _parse_xml(archive.read(name), name)
        for rel in root.iter(f"{{{RELS}}}Relationship"):
            target = rel.get("Target", "")
            mode = rel.get("TargetMode", "Internal")
            if mode != "Internal" or re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", target):
                raise _invalid(
                    "2.1.1b external relationship",
                    f"relationship {rel.get('Id')} in {name} targets {target!r} outside the package",
                )
            resolved = _resolve_target(source, target)
            if not package.part_exists(resolved):
                raise _invalid(
                    "2.1.1 relationship target",
                    f"relationship {rel.get('Id')} in {name} targets missing part {resolved}",
                )
            package.rels.append(_Rel(source, resolved, rel.get("Type", "")))
    return package


@dataclass
class _Object:
    id: int
    type: str
    name: str
    part: str
    vertices: npt.NDArray[np.float64] | None = None
    triangles: npt.NDArray[np.int64] | None = None
    components: list[tuple[str, int, npt.NDArray[np.float64]]] = field(default_factory=list)
    pid: int | None = None
    pindex: int | None = None
    #: (m, 4) p1, p2, p3, pid of each triangle (-1: absent); kept only when the part has textures.
    properties: npt.NDArray[np.int64] | None = None


@dataclass
class _UVGroup:
    """A ``<texture2dgroup>``: the texture it samples and its coordinates."""

    texture: int  # the texture2d resource id
    coords: npt.NDArray[np.float64]  # (k, 2) u, v


@dataclass
class _Model:
    objects: dict[tuple[str, int], _Object] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unit: str = "millimeter"
    requires_beams_or_slices: bool = False
    #: (part, resource id) -> texture path and content type, and texture2dgroups.
    texture_paths: dict[tuple[str, int], tuple[str, str]] = field(default_factory=dict)
    uv_groups: dict[tuple[str, int], _UVGroup] = field(default_factory=dict)


def _matrix(text: str | None, where: str) -> npt.NDArray[np.float64]:
    """3MF transform (12 numbers, row-vector convention) as a 4x4 column-vector matrix."""
    if text is None:
        return np.eye(4)
    try:
        values = np.array(text.split(), dtype=np.float64)
    except ValueError:
        raise _invalid("3.3 transform", f"{where}: transform {text!r} is not 12 numbers") from None
    if values.shape != (12,) or not np.isfinite(values).all():
        raise _invalid("3.3 transform", f"{where}: transform {text!r} is not 12 finite numbers")
    m = np.eye(4)
    m[:3, :3] = values[:9].reshape(3, 3).T
    m[:3, 3] = values[9:]
    return m


def _int_attr(element: etree._Element, name: str, where: str, required: bool = True) -> int | None:
    value = element.get(name)
    if value is None:
        if required:
            raise _invalid("3.4 required attribute", f"{where}: attribute {name!r} is missing")
        return None
    try:
        number = int(value)
    except ValueError:
        raise _invalid("3.4 attribute type", f"{where}: {name}={value!r} is not an integer") from None
    if number < 0:
        raise _invalid("3.4 attribute type", f"{where}: {name}={value!r} is negative")
    return number


def _namespace_of(name: str) -> str:
    return name[1:].partition("}")[0] if name.startswith("{") else ""


def _check_namespaces(root: etree._Element, part: str, data: bytes) -> None:
    """Reject content *used* from an unpublished 3MF namespace unless marked ``mc:Ignorable``.

    Namespaces outside the reserved 3MF family (vendor data from slicers) are ignored, as the
    core specification asks; declaring an unknown namespace without using it is harmless.
    Nothing can be in a namespace the part's text never declares, and no ``xml:space`` can be
    where the text has none: the scans of every element and attribute (1.7 M on a
    280 k-triangle model) run only when ``data`` declares an unpublished 3MF namespace or
    holds ``xml:space``, and then as XPath in libxml2.
    """
    declared = {m.decode("utf-8", "replace") for m in _XMLNS.findall(data)}
    suspicious = any(u.startswith(_RESERVED_PREFIXES) and u not in KNOWN_3MF_NAMESPACES for u in declared)
    if b"xml:space" in data and _XML_SPACE_XPATH(root):
        raise _invalid("2.3.4 white space", f"{part}: the xml:space attribute is not allowed in 3MF")
    if not suspicious:
        return
    namespaces = {"mc": MARKUP_COMPAT}
    ignorable: set[str] = set()
    marked: Any = root.xpath("descendant-or-self::*[@mc:Ignorable]", namespaces=namespaces)
    for element in marked:
        for prefix in element.get(f"{{{MARKUP_COMPAT}}}Ignorable", "").split():
            if prefix in element.nsmap:
                ignorable.add(element.nsmap[prefix])
    found: Any = _UNPUBLISHED_XPATH(root)
    for node in found:
        name = str(node.tag if isinstance(node, etree._Element) else node.attrname)
        uri = _namespace_of(name)
        if uri not in ignorable:
            raise _invalid(
                "2.3.2c undefined namespace",
                f"{part} uses {name!r} from unpublished 3MF namespace {uri!r}",
            )


def _unpublished_xpath() -> str:
    """Elements and attributes in the reserved 3MF namespaces that no specification publishes."""
    reserved = " or ".join(f"starts-with(namespace-uri(), '{p}')" for p in _RESERVED_PREFIXES)
    known = " or ".join(f"namespace-uri() = '{uri}'" for uri in sorted(KNOWN_3MF_NAMESPACES))
    test = f"({reserved}) and not({known})"
    return f"descendant-or-self::*[{test}] | descendant-or-self::*/@*[{test}]"


_UNPUBLISHED_XPATH = etree.XPath(_unpublished_xpath())
_XMLNS = re.compile(rb"""\sxmlns(?::[^\s=]+)?\s*=\s*["']([^"']*)["']""")
_XML_SPACE_XPATH = etree.XPath(
    f"descendant-or-self::*/@*[namespace-uri() = '{XML_NS}' and local-name() = 'space']"
)


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


class _ModelReader:
    def __init__(self, package: _Package, limits: LoadLimits, plain_min_bytes: int) -> None:
        self.package = package
        self.limits = limits
        self.model = _Model()
        self.parsed: set[str] = set()
        self.plain_min_bytes = plain_min_bytes
        self.plain: _PlainMeshes | None = None

    def read_part(self, part: str, root_part: bool) -> etree._Element:
        data = self.package.archive.read(part)
        _check_xml_bytes(data, part)
        data, self.plain = _read_plain_meshes(data, self.plain_min_bytes)
        root = _parse_checked(data, part)
        self.parsed.add(part.lower())
        if root.tag == _q(LEGACY_093, "model"):
            # Pre-1.0 drafts (3MF 0.93, e.g. early 3D Builder files) share the core's structure.
            for element in root.iter():
                if isinstance(element.tag, str) and element.tag.startswith(f"{{{LEGACY_093}}}"):
                    element.tag = _q(CORE, element.tag.partition("}")[2])
            self.model.notes.append(f"{part} uses the pre-1.0 3MF 0.93 namespace; read as core 1.0")
        if root.tag != _q(CORE, "model"):
            raise _invalid(
                "3.4 model element", f"{part}: the root element is {root.tag!r}, not a core <model>"
            )
        if root_part:
            self._required_extensions(root, part)
        _check_namespaces(root, part, data)
        unit = root.get("unit", "millimeter")
        if unit not in MM_PER_UNIT:
            raise _invalid("3.2 units", f"{part}: unit {unit!r} is not one of {sorted(MM_PER_UNIT)}")
        if root_part:
            self.model.unit = unit
        self._metadata(root, part, root_part)
        resources = root.findall(_q(CORE, "resources"))
        builds = root.findall(_q(CORE, "build"))
        if len(resources) != 1:
            raise _invalid(
                "3.4c resources element", f"{part} must hold exactly one <resources>, has {len(resources)}"
            )
        if len(builds) != 1:
            raise _invalid("3.4b build element", f"{part} must hold exactly one <build>, has {len(builds)}")
        self._resources(resources[0], part)
        return builds[0]

    def _required_extensions(self, root: etree._Element, part: str) -> None:
        for prefix in root.get("requiredextensions", "").split():
            uri = root.nsmap.get(prefix)
            if uri is None:
                raise _invalid(
                    "2.3.3 required extensions",
                    f"{part}: required extension prefix {prefix!r} is not declared",
                )
            if uri not in SUPPORTED_REQUIRED:
                raise MakereadyError(
                    "3mf.unsupported_extension",
                    f"the 3MF requires extension {uri}, which makeready does not implement; "
                    "a consumer must not guess its geometry",
                    extension=uri,
                )

    def _metadata(self, root: etree._Element, part: str, root_part: bool) -> None:
        seen: set[str] = set()
        for meta in root.findall(_q(CORE, "metadata")):
            name = meta.get("name")
            if not name:
                raise _invalid("3.4.1a metadata name", f"{part}: a <metadata> element has no name")
            if name in seen:
                raise _invalid("3.4.1b metadata name", f"{part}: metadata name {name!r} appears twice")
            seen.add(name)
            if root_part:
                self.model.metadata[name] = (meta.text or "").strip()

    def _resources(self, resources: etree._Element, part: str) -> None:
        kinds: dict[int, tuple[str, int]] = {}  # id -> (resource kind, number of entries)
        pending_objects = []
        for element in resources:
            if not isinstance(element.tag, str):
                continue
            ns, _, local = element.tag[1:].partition("}")
            rid = _int_attr(element, "id", f"{part} <{local}>", required=ns in (CORE, MATERIAL))
            if rid is None:
                continue
            if rid in kinds:
                raise _invalid("3.4 resource id", f"{part}: resource id {rid} is used twice")
            if ns == CORE and local == "object":
                kinds[rid] = ("object", 0)
                pending_objects.append(element)
            elif ns == CORE and local == "basematerials":
                bases = element.findall(_q(CORE, "base"))
                for base in bases:
                    if not base.get("name") or not _COLOR.match(base.get("displaycolor", "")):
                        raise _invalid(
                            "materials 2.1 base",
                            f"{part}: basematerials {rid} has a base without name or sRGB displaycolor",
                        )
                kinds[rid] = ("basematerials", len(bases))
            elif ns == MATERIAL:
                kinds[rid] = self._material_resource(element, local, rid, kinds, part)
            else:
                kinds[rid] = (local, 0)
        self._check_multiproperties(resources, kinds, part)
        for element in pending_objects:
            self._object(element, kinds, part)

    def _material_resource(
        self, element: etree._Element, local: str, rid: int, kinds: dict[int, tuple[str, int]], part: str
    ) -> tuple[str, int]:
        where = f"{part} <{local} id={rid}>"
        if local == "colorgroup":
            colors = element.findall(_q(MATERIAL, "color"))
            for color in colors:
                if not _COLOR.match(color.get("color", "")):
                    raise _invalid("materials 2 color", f"{where}: a color has no valid sRGB value")
            return ("colorgroup", len(colors))
        if local == "texture2d":
            path = element.get("path")
            if not path:
                raise _invalid("materials 6 texture path", f"{where}: texture2d has no path")
            if element.get("contenttype") not in ("image/png", "image/jpeg"):
                raise _invalid(
                    "materials 6 content type", f"{where}: contenttype must be image/png or image/jpeg"
                )
            if not self.package.part_exists(path):
                raise _invalid("materials 6 texture path", f"{where}: texture part {path} is missing")
            self.model.texture_paths[(part.lower(), rid)] = (path, str(element.get("contenttype")))
            return ("texture2d", 0)
        if local == "texture2dgroup":
            texid = _int_attr(element, "texid", where)
            if texid is None or kinds.get(texid, ("",))[0] != "texture2d":
                raise _invalid("materials 3 texid", f"{where}: texid {texid} is not a texture2d")
            coords = _tex2coords(element, where)
            self.model.uv_groups[(part.lower(), rid)] = _UVGroup(texid, coords)
            return ("texture2dgroup", len(coords))
        if local == "compositematerials":
            matid = _int_attr(element, "matid", where)
            if kinds.get(matid or -1, ("",))[0] != "basematerials":
                raise _invalid("materials 4b matid", f"{where}: matid {matid} is not a basematerials group")
            indices = element.get("matindices")
            if not indices:
                raise _invalid("materials 4 matindices", f"{where}: matindices is missing")
            try:
                mat_count = len([int(x) for x in indices.split()])
            except ValueError:
                raise _invalid(
                    "materials 4 matindices", f"{where}: matindices {indices!r} are not integers"
                ) from None
            composites = element.findall(_q(MATERIAL, "composite"))
            for composite in composites:
                if len(composite.get("values", "").split()) > mat_count:
                    raise _invalid(
                        "materials 4 composite", f"{where}: a composite has more values than matindices"
                    )
            return ("compositematerials", len(composites))
        if local == "multiproperties":
            if not element.get("pids"):
                raise _invalid("materials 5a pids", f"{where}: multiproperties has no pids")
            return ("multiproperties", len(element.findall(_q(MATERIAL, "multi"))))
        return (local, 0)

    def _check_multiproperties(
        self, resources: etree._Element, kinds: dict[int, tuple[str, int]], part: str
    ) -> None:
        for element in resources.iter(_q(MATERIAL, "multiproperties")):
            where = f"{part} <multiproperties id={element.get('id')}>"
            try:
                pids = [int(x) for x in element.get("pids", "").split()]
            except ValueError:
                raise _invalid("materials 5 pids", f"{where}: pids are not integers") from None
            referenced = [kinds.get(pid, ("missing", 0))[0] for pid in pids]
            for pid, kind in zip(pids, referenced, strict=True):
                if kind == "multiproperties":
                    raise _invalid("materials 5e pids", f"{where}: pid {pid} is another multiproperties")
                if kind in ("missing", "object"):
                    raise _invalid("materials 5 pids", f"{where}: pid {pid} names no property resource")
            if sum(k in ("basematerials", "compositematerials") for k in referenced) > 1:
                raise _invalid("materials 5b/5d pids", f"{where}: more than one material group among pids")
            if referenced.count("colorgroup") > 1:
                raise _invalid("materials 5c pids", f"{where}: more than one colorgroup among pids")

    def _object(self, element: etree._Element, kinds: dict[int, tuple[str, int]], part: str) -> None:
        oid = _int_attr(element, "id", f"{part} <object>")
        assert oid is not None
        where = f"{part} object {oid}"
        kind = element.get("type", "model")
        if kind not in OBJECT_TYPES:
            raise _invalid("4a object type", f"{where}: type {kind!r} is not one of {sorted(OBJECT_TYPES)}")
        pid = _int_attr(element, "pid", where, required=False)
        pindex = _int_attr(element, "pindex", where, required=False)
        if pindex is not None and pid is None:
            raise _invalid("4b pid", f"{where}: pindex is given without pid")
        if pid is not None:
            self._check_property(kinds, pid, pindex, where)
        obj = _Object(oid, kind, element.get("name") or f"object{oid}", part, pid=pid, pindex=pindex)
        meshes = element.findall(_q(CORE, "mesh"))
        components = element.findall(_q(CORE, "components"))
        if len(meshes) + len(components) != 1:
            raise _invalid("4 object content", f"{where}: an object holds exactly one <mesh> or <components>")
        if meshes:
            self._mesh(meshes[0], obj, kinds, pid, where)
        else:
            for comp in components[0].findall(_q(CORE, "component")):
                path = comp.get(_q(PRODUCTION, "path"))
                target_part = _resolve_target(part, path) if path else part
                cid = _int_attr(comp, "objectid", where)
                assert cid is not None
                obj.components.append((target_part, cid, _matrix(comp.get("transform"), where)))
        self.model.objects[(part.lower(), oid)] = obj

    @staticmethod
    def _check_property(kinds: dict[int, tuple[str, int]], pid: int, pindex: int | None, where: str) -> None:
        kind, count = kinds.get(pid, ("missing", 0))
        if kind not in PROPERTY_RESOURCES:
            raise _invalid("4 pid", f"{where}: pid {pid} does not name a property resource")
        if pindex is not None and count and pindex >= count:
            raise _invalid(
                "4 pindex", f"{where}: pindex {pindex} is outside property group {pid} ({count} entries)"
            )

    def _mesh(
        self,
        mesh: etree._Element,
        obj: _Object,
        kinds: dict[int, tuple[str, int]],
        object_pid: int | None,
        where: str,
    ) -> None:
        vertices_el = mesh.find(_q(CORE, "vertices"))
        triangles_el = mesh.find(_q(CORE, "triangles"))
        if mesh.find(_q(BEAM, "beamlattice")) is not None:
            self.model.requires_beams_or_slices = True
        if vertices_el is None:
            raise _invalid("4.1 mesh", f"{where}: <mesh> has no <vertices>")
        vertices = _xyz(vertices_el, where, self.plain)
        scanned = self.plain.take(triangles_el) if self.plain and triangles_el is not None else None
        if triangles_el is None:
            triangles = np.zeros((0, 3), np.int64)
        elif scanned is not None:
            # Columns v1, v2, v3, p1, p2, p3, pid; -1 where a property is absent.
            triangles = _checked_triangles(np.ascontiguousarray(scanned[:, :3]), len(vertices), where)
            if (scanned[:, [3, 6]] >= 0).any():
                self._property_columns(scanned[:, 3:], kinds, object_pid, where)
                if self.model.uv_groups:
                    obj.properties = np.ascontiguousarray(scanned[:, 3:], np.int64)
        else:
            triangles = _triangles(triangles_el, len(vertices), where)
            if _xpath_strings(triangles_el, "c:triangle[@pid or @p1][1]/@v1"):
                self._triangle_properties(triangles_el, kinds, object_pid, where)
                if self.model.uv_groups:
                    obj.properties = _property_table(triangles_el, where)
        obj.vertices, obj.triangles = vertices, triangles

    def _property_columns(
        self,
        columns: npt.NDArray[np.int64],
        kinds: dict[int, tuple[str, int]],
        object_pid: int | None,
        where: str,
    ) -> None:
        """:meth:`_triangle_properties` on the scanner's (n, 4) p1, p2, p3, pid columns (-1: absent)."""
        pid_column = columns[:, 3]
        # In the order of the pids' text, as the element path takes them.
        for pid in sorted({int(p) for p in np.unique(pid_column[pid_column >= 0])}, key=str):
            self._check_property(kinds, pid, None, where)
            count = kinds[pid][1]
            if not count:
                continue
            rows = columns[pid_column == pid]
            for k, attr in enumerate(("p1", "p2", "p3")):
                largest = int(rows[:, k].max())
                if largest >= count:
                    raise _invalid(
                        "4.1.1 triangle pindex", f"{where}: {attr} {largest} outside property group {pid}"
                    )
        if object_pid is None and ((columns[:, 0] >= 0) & (pid_column < 0)).any():
            raise _invalid(
                "4.1.1 triangle pid", f"{where}: triangle property index without a pid on triangle or object"
            )

    def _triangle_properties(
        self,
        triangles_el: etree._Element,
        kinds: dict[int, tuple[str, int]],
        object_pid: int | None,
        where: str,
    ) -> None:
        triangles = triangles_el.findall(_q(CORE, "triangle"))
        pids = sorted({p for p in (t.get("pid") for t in triangles) if p is not None})
        for pid_text in pids:
            try:
                pid = int(pid_text)
            except ValueError:
                raise _invalid(
                    "4.1.1 triangle pid", f"{where}: triangle pid {pid_text!r} is not an integer"
                ) from None
            self._check_property(kinds, pid, None, where)
            count = kinds[pid][1]
            if not count:
                continue
            for attr in ("p1", "p2", "p3"):
                values = [t.get(attr) for t in triangles if t.get("pid") == pid_text]
                try:
                    largest = max((int(v) for v in values if v is not None), default=-1)
                except ValueError:
                    raise _invalid("4.1.1 triangle pindex", f"{where}: {attr} is not an integer") from None
                if largest >= count:
                    raise _invalid(
                        "4.1.1 triangle pindex", f"{where}: {attr} {largest} outside property group {pid}"
                    )
        if object_pid is None and any(t.get("p1") is not None and t.get("pid") is None for t in triangles):
            raise _invalid(
                "4.1.1 triangle pid", f"{where}: triangle property index without a pid on triangle or object"
            )


_XPATH_NAMESPACES = {"c": CORE, "m": MATERIAL}


def _xpath_strings(element: etree._Element, expression: str) -> list[str]:
    """Attribute values selected by ``expression`` (lxml runs the loop in C)."""
    found = element.xpath(expression, namespaces=_XPATH_NAMESPACES)
    return [str(v) for v in found] if isinstance(found, list) else []


def _attribute_array(
    element: etree._Element, path: str, names: tuple[str, ...], where: str
) -> list[list[str]] | list[list[bytes]]:
    """The values of attributes ``names`` of every child ``path`` of ``element``, by column.

    A mesh's ``<vertices>`` or ``<triangles>`` holding only those children (the usual case) is
    serialised once and its attributes found by a regular expression, which is 3-4x faster
    than an XPath per attribute on large meshes; lxml writes every attribute as
    ``name="value"`` with entities resolved, and unprefixed, so a prefixed attribute of the
    same local name is never taken. Anything else (other children, comments, a missing
    attribute) goes through XPath, whose answer decides.
    """
    counted: Any = element.xpath(f"count({path})", namespaces=_XPATH_NAMESPACES)
    count = int(counted)
    if len(element) == count:
        text = etree.tostring(element)
        fast = [re.findall(rb"\s" + n.encode() + rb'="([^"]*)"', text) for n in names]
        if all(len(column) == count for column in fast):
            return fast
    columns = [_xpath_strings(element, f"{path}/@{n}") for n in names]
    if any(len(col) != count for col in columns):
        raise _invalid(
            "4.1 mesh attributes", f"{where}: every {path.split(':')[-1]} needs {', '.join(names)}"
        )
    return columns


def _xyz(vertices_el: etree._Element, where: str, plain: _PlainMeshes | None) -> npt.NDArray[np.float64]:
    xyz = plain.take(vertices_el) if plain else None
    if xyz is not None:
        ensure_finite(xyz, f"3MF {where}")
        return xyz
    return _float_columns(vertices_el, "c:vertex", ("x", "y", "z"), where)


def _float_columns(
    element: etree._Element, path: str, names: tuple[str, ...], where: str
) -> npt.NDArray[np.float64]:
    """Attributes ``names`` of every child ``path`` as (k, len(names)) float64, all finite."""
    columns = _attribute_array(element, path, names, where)
    try:
        values: npt.NDArray[np.float64] = np.array(columns).astype(np.float64).T.reshape(-1, len(names))
    except ValueError as exc:
        raise MakereadyError("file.invalid_number", f"3MF {where}: {exc}") from None
    ensure_finite(values, f"3MF {where}")
    return values


def _triangles(triangles_el: etree._Element, vertex_count: int, where: str) -> npt.NDArray[np.int64]:
    columns = _attribute_array(triangles_el, "c:triangle", ("v1", "v2", "v3"), where)
    try:
        tris = np.array(columns).astype(np.int64).T.reshape(-1, 3)
    except ValueError:
        raise _invalid("4.1.1 triangle", f"{where}: triangle indices must be integers") from None
    return _checked_triangles(tris, vertex_count, where)


def _checked_triangles(tris: npt.NDArray[np.int64], vertex_count: int, where: str) -> npt.NDArray[np.int64]:
    """The triangles, once every index names a vertex and no triangle repeats a corner (4.1.1)."""
    if tris.size and (tris.min() < 0 or tris.max() >= vertex_count):
        raise _invalid(
            "4.1.1 triangle", f"{where}: a triangle refers to a vertex outside 0..{vertex_count - 1}"
        )
    if ((tris[:, 0] == tris[:, 1]) | (tris[:, 1] == tris[:, 2]) | (tris[:, 0] == tris[:, 2])).any():
        raise _invalid("4.1.1 triangle", f"{where}: v1, v2 and v3 of a triangle must be distinct")
    return tris


def _tex2coords(group: etree._Element, where: str) -> npt.NDArray[np.float64]:
    """A texture2dgroup's ``<tex2coord u= v=>`` as (k, 2) float64."""
    return _float_columns(group, "m:tex2coord", ("u", "v"), where)


def _property_table(triangles_el: etree._Element, where: str) -> npt.NDArray[np.int64]:
    """(m, 4) p1, p2, p3, pid of every triangle, -1 where absent (the scanner's column layout)."""
    triangles = triangles_el.findall(_q(CORE, "triangle"))
    names = ("p1", "p2", "p3", "pid")
    try:
        rows = [[int(t.get(n, -1)) for n in names] for t in triangles]
    except ValueError:
        raise _invalid("4.1.1 triangle pindex", f"{where}: a triangle property is not an integer") from None
    return np.asarray(rows, np.int64).reshape(-1, 4)


def read_3mf(
    archive: SafeZip, limits: LoadLimits, *, plain_min_bytes: int = PLAIN_MESH_MIN_BYTES
) -> ReadResult:
    """Read a 3MF package into one body per mesh instance placed by the build, in the model's unit.

    ``plain_min_bytes``: model parts from this size on have their plain mesh text read by the
    compiled scanner (the result is the same; tests set 0 to use it on small parts).
    """
    package = _read_package(archive)
    roots = [r for r in package.rels if r.source == "/" and r.type == REL_MODEL]
    if len(roots) != 1:
        rule = "2.1.1a start part" if not roots else "2.1.2 one start part"
        raise _invalid(
            rule, f"the package has {len(roots)} 3D model relationships from its root, needs exactly 1"
        )
    root_part = roots[0].target
    tickets = [r for r in package.rels if r.source.lower() == root_part.lower() and r.type == REL_PRINTTICKET]
    if len(tickets) > 1:
        raise _invalid(
            "2.1.4 print ticket", f"the model part has {len(tickets)} print tickets, at most 1 allowed"
        )
    reader = _ModelReader(package, limits, plain_min_bytes)
    build = reader.read_part(root_part, root_part=True)
    # Production extension: other model parts are referenced from the root model's relationships.
    for rel in package.rels:
        if (
            rel.source.lower() == root_part.lower()
            and rel.type == REL_MODEL
            and rel.target.lower() not in reader.parsed
        ):
            reader.read_part(rel.target, root_part=False)
    model = reader.model
    if model.requires_beams_or_slices:
        model.notes.append("beam lattices are not meshed; only triangle meshes are read")
    bodies = list(_build_bodies(build, reader, root_part, limits))
    result = ReadResult(
        bodies, "3mf", units=model.unit, units_applied=True, notes=model.notes, metadata=model.metadata
    )
    if model.unit != "millimeter":
        result.notes.append(f"units converted from {model.unit} to mm (vertices and translations)")
    return result


def _build_bodies(
    build: etree._Element, reader: _ModelReader, root_part: str, limits: LoadLimits
) -> Iterator[Body]:
    scale = MM_PER_UNIT[reader.model.unit]
    total = 0
    skipped: dict[str, int] = {}
    textures = _Textures(reader)
    for number, item in enumerate(build.findall(_q(CORE, "item")), start=1):
        path = item.get(_q(PRODUCTION, "path"))
        part = _resolve_target(root_part, path) if path else root_part
        oid = _int_attr(item, "objectid", f"build item {number}")
        assert oid is not None
        obj = reader.model.objects.get((part.lower(), oid))
        if obj is None:
            raise _invalid(
                "3.4.3.1a build item", f"build item {number} refers to object {oid}, which does not exist"
            )
        if obj.type == "other":
            raise _invalid(
                "3.4.3.1b build item", f"build item {number} refers to object {oid} of type 'other'"
            )
        label = item.get("partnumber") or obj.name
        for placed_obj, matrix in _instances(
            obj, _matrix(item.get("transform"), f"item {number}"), reader, 0, ()
        ):
            name, kind = placed_obj.name, placed_obj.type
            vertices, triangles = placed_obj.vertices, placed_obj.triangles
            assert vertices is not None
            assert triangles is not None
            if kind in ("support", "solidsupport"):
                skipped[kind] = skipped.get(kind, 0) + 1
                continue
            total += len(triangles)
            if total > limits.max_triangles:
                raise MakereadyError(
                    "file.too_many_triangles",
                    f"the 3MF build places more than {limits.max_triangles} triangles",
                )
            if len(triangles) == 0:
                continue
            placed = (vertices @ matrix[:3, :3].T + matrix[:3, 3]) * scale
            appearance = textures.appearance(placed_obj)
            faces = triangles
            if np.linalg.det(matrix[:3, :3]) < 0:
                faces, appearance = faces[:, ::-1], appearance and appearance.reversed_corners()
            verts, faces, _ = compact(placed, faces)
            yield Body(f"{label}/{name}" if name != label else label, verts, faces, appearance=appearance)
    for kind, count in skipped.items():
        reader.model.notes.append(
            f"{count} {kind} object instance(s) are print supports, not part geometry; left out"
        )


def _instances(
    obj: _Object,
    matrix: npt.NDArray[np.float64],
    reader: _ModelReader,
    depth: int,
    stack: tuple[tuple[str, int], ...],
) -> Iterator[tuple[_Object, npt.NDArray[np.float64]]]:
    key = (obj.part.lower(), obj.id)
    if key in stack:
        raise _invalid("4.2 components", f"object {obj.id} contains itself through its components")
    if depth > reader.limits.max_xml_depth:
        raise _invalid("4.2 components", f"components nest deeper than {reader.limits.max_xml_depth} levels")
    if obj.vertices is not None and obj.triangles is not None:
        yield obj, matrix
        return
    for part, cid, local in obj.components:
        child = reader.model.objects.get((part.lower(), cid))
        if child is None:
            raise _invalid(
                "4.2.1 component", f"object {obj.id} has a component referring to missing object {cid}"
            )
        if child.type == "other":
            raise _invalid("4.2.1 component", f"object {obj.id} has a component of type 'other'")
        yield from _instances(child, matrix @ local, reader, depth + 1, (*stack, key))


class _Textures:
    """Appearance of mesh objects from their texture2dgroup properties, images read once."""

    def __init__(self, reader: _ModelReader) -> None:
        self.reader = reader
        self.model = reader.model
        self.images: dict[tuple[str, int], TextureImage | None] = {}
        self.cache: dict[tuple[str, int], Appearance | None] = {}

    def appearance(self, obj: _Object) -> Appearance | None:
        key = (obj.part.lower(), obj.id)
        if key not in self.cache:
            self.cache[key] = self._appearance(obj)
        return self.cache[key]

    def _appearance(self, obj: _Object) -> Appearance | None:
        part = obj.part.lower()
        m = 0 if obj.triangles is None else len(obj.triangles)
        props = obj.properties
        if props is None:
            if obj.pid is None or (part, obj.pid) not in self.model.uv_groups:
                return None
            props = np.full((m, 4), -1, np.int64)
        # A triangle without pid takes the object's; without p1 it takes the object's pindex
        # (the core specification's defaults); p2 and p3 default to p1.
        pid = np.where(props[:, 3] >= 0, props[:, 3], -1 if obj.pid is None else obj.pid)
        default_index = obj.pindex if obj.pindex is not None else 0
        p1 = np.where(props[:, 0] >= 0, props[:, 0], default_index)
        corner = np.stack(
            [p1, np.where(props[:, 1] >= 0, props[:, 1], p1), np.where(props[:, 2] >= 0, props[:, 2], p1)],
            axis=1,
        )
        uvs = np.full((m, 3, 2), np.nan)
        texture = np.full(m, -1, np.int64)
        images: list[TextureImage] = []
        for group_id in np.unique(pid[pid >= 0]).tolist():
            group = self.model.uv_groups.get((part, group_id))
            if group is None:
                continue  # colours or base materials: not a texture
            image = self._image(part, group.texture)
            rows = pid == group_id
            uvs[rows] = group.coords[corner[rows]]
            if image is not None:
                if image not in images:
                    images.append(image)
                texture[rows] = images.index(image)
        if not np.isfinite(uvs).any():
            return None
        return Appearance(uvs, texture, tuple(images))

    def _image(self, part: str, texture_id: int) -> TextureImage | None:
        key = (part, texture_id)
        if key not in self.images:
            path, declared = self.model.texture_paths[key]
            data = self.reader.package.archive.read(path)
            kind = image_media_type(data)
            if kind is None:
                self.model.notes.append(f"texture {path} is not a PNG or JPEG image; left out")
                self.images[key] = None
            else:
                if kind != declared:
                    self.model.notes.append(f"texture {path} is declared {declared} but is {kind}")
                self.images[key] = TextureImage(posixpath.basename(path), kind, data)
        return self.images[key]


REL_TEXTURE = "http://schemas.microsoft.com/3dmanufacturing/2013/01/3dtexture"
_CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<Types xmlns="{CONTENT_TYPES}">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>'
    '<Default Extension="png" ContentType="image/png"/>'
    '<Default Extension="jpg" ContentType="image/jpeg"/>'
    "</Types>"
)
_RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<Relationships xmlns="{RELS}">'
    f'<Relationship Target="/3D/3dmodel.model" Id="rel0" Type="{REL_MODEL}"/></Relationships>'
)
#: Colour of triangles of a textured object that have no texture coordinates.
_UNTEXTURED_RGB = "#CCCCCC"


def write_3mf(part: Part, *, unit: str = "millimeter") -> bytes:
    """Write a 3MF: one mesh object and one build item per body, textures as the materials extension's.

    Parameters
    ----------
    part : Part
        Bodies in mm. Texture images go to ``/3D/Texture/`` with a ``texture2dgroup`` per body
        and image; a textured object's other triangles get a grey base material.
    unit : str
        The model unit to write; coordinates are divided by its size in mm, so that a reader
        applying the unit recovers millimetres.

    """
    scale = 1.0 / MM_PER_UNIT[unit]
    images: list[TextureImage] = []
    for body in part.bodies:
        for image in body.appearance.textures if body.has_uvs and body.appearance else ():
            if image not in images:
                images.append(image)
    paths = [f"/3D/Texture/texture{k}{TEXTURE_MEDIA_TYPES[i.media_type]}" for k, i in enumerate(images)]
    out = io.StringIO()
    out.write(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<model unit="{unit}" xml:lang="en-US" xmlns="{CORE}"'
        f' xmlns:m="{MATERIAL}">\n'
    )
    out.write('<metadata name="Application">makeready</metadata>\n')
    if part.name:
        out.write(f'<metadata name="Title">{_escape(part.name)}</metadata>\n')
    out.write("<resources>\n")
    for k, (image, path) in enumerate(zip(images, paths, strict=True), start=1):
        out.write(f'<m:texture2d id="{k}" path="{path}" contenttype="{image.media_type}"/>\n')
    next_id = len(images) + 1
    grey = None
    if images:
        grey, next_id = next_id, next_id + 1
        out.write(f'<basematerials id="{grey}"><base name="untextured" displaycolor="{_UNTEXTURED_RGB}"/>')
        out.write("</basematerials>\n")
    objects = []
    for body in part.bodies:
        properties, next_id = _write_texture_groups(out, body, images, next_id)
        default = f' pid="{grey}" pindex="0"' if properties is not None else ""
        out.write(
            f'<object id="{next_id}" type="model" name="{_escape(body.name)}"{default}><mesh><vertices>\n'
        )
        objects.append(next_id)
        next_id += 1
        out.writelines(
            '<vertex x="%.17g" y="%.17g" z="%.17g"/>\n' % tuple(v) for v in (body.vertices * scale).tolist()
        )
        out.write("</vertices><triangles>\n")
        if properties is None:
            out.writelines('<triangle v1="%d" v2="%d" v3="%d"/>\n' % tuple(f) for f in body.faces.tolist())
        else:
            for f, p in zip(body.faces.tolist(), properties.tolist(), strict=True):
                if p[0] < 0:
                    out.write('<triangle v1="%d" v2="%d" v3="%d"/>\n' % tuple(f))
                else:
                    out.write(
                        '<triangle v1="%d" v2="%d" v3="%d" pid="%d" p1="%d" p2="%d" p3="%d"/>\n' % (*f, *p)
                    )
        out.write("</triangles></mesh></object>\n")
    out.write("</resources>\n<build>\n")
    out.writelines(f'<item objectid="{i}"/>\n' for i in objects)
    out.write("</build>\n</model>\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES_XML)
        archive.writestr("_rels/.rels", _RELS_XML)
        archive.writestr("3D/3dmodel.model", out.getvalue())
        if images:
            rels = "".join(
                f'<Relationship Target="{path}" Id="tex{k}" Type="{REL_TEXTURE}"/>'
                for k, path in enumerate(paths)
            )
            header = '<?xml version="1.0" encoding="UTF-8"?>\n'
            archive.writestr(
                "3D/_rels/3dmodel.model.rels", f'{header}<Relationships xmlns="{RELS}">{rels}</Relationships>'
            )
            for image, path in zip(images, paths, strict=True):
                archive.writestr(path.lstrip("/"), image.data, compress_type=zipfile.ZIP_STORED)
    return buffer.getvalue()


def _write_texture_groups(
    out: io.StringIO, body: Body, images: list[TextureImage], next_id: int
) -> tuple[npt.NDArray[np.int64] | None, int]:
    """Write a body's texture2dgroups; its triangles' (pid, p1, p2, p3) (-1: none) and the next id."""
    appearance = body.appearance
    if appearance is None or not body.has_uvs:
        return None, next_id
    properties = np.full((len(body.faces), 4), -1, np.int64)
    usable = np.isfinite(appearance.uvs).all(axis=(1, 2)) & (appearance.texture >= 0)
    for k, image in enumerate(appearance.textures):
        rows = np.flatnonzero(usable & (appearance.texture == k))
        if len(rows) == 0:
            continue
        coords, corner = np.unique(appearance.uvs[rows].reshape(-1, 2), axis=0, return_inverse=True)
        out.write(f'<m:texture2dgroup id="{next_id}" texid="{images.index(image) + 1}">\n')
        out.writelines('<m:tex2coord u="%.17g" v="%.17g"/>\n' % tuple(uv) for uv in coords.tolist())
        out.write("</m:texture2dgroup>\n")
        properties[rows, 0] = next_id
        properties[rows, 1:] = corner.reshape(-1, 3)
        next_id += 1
    return properties, next_id


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;").replace(">", "&gt;")
