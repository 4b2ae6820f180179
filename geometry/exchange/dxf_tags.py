"""DXF tags: the group-code / value pairs of an ASCII DXF file, written and read without knowing what they draw
(the low level under :mod:`geometry.exchange.astm_dxf`, as ezdxf's ``lldxf`` is under its documents).

Writing is AutoCAD R12 (AC1009): :class:`R12Tags` collects POINT, LINE, CIRCLE, TEXT, POLYLINE (with its
VERTEX and SEQEND), INSERT and BLOCK / ENDBLK as tag text, and :func:`write_r12` splices it into the skeleton
ezdxf writes (header, tables with the given layers). Text is written straight rather than through ezdxf's
entities: their export costs ~10× more for the thousands of vertices and points of a size run.

Reading: :func:`read_tags` splits a clean ASCII file into its header variables and the entities of the
ENTITIES section and of each block, a POLYLINE carrying its VERTEX entities; it returns None for anything it
does not handle (binary, undecodable, broken structure), so the caller can load the file with ezdxf instead.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
from ezdxf.document import Drawing

from geometry.errors import UnsupportedFormatError

BINARY_SENTINEL = b"AutoCAD Binary DXF"
# AutoCAD 2007 (AC1021) and later write UTF-8; older files use the code page (cp1252 for ours).
_UTF8_VERSION = re.compile(rb"\$ACADVER\s*\r?\n\s*1\s*\r?\n\s*AC10(2[1-9]|3\d)")
_SECTION_START = re.compile(rb"\s*(999\s*\r?\n[^\n]*\n\s*)?0\s*\r?\n\s*SECTION\s*\r?\n")

Tag = tuple[int, str]


# -- writing --------------------------------------------------------------------------------------------------


def dxf_value(value: object) -> str:
    """A tag value as DXF text: floats round-trip (``repr``), strings lose their line breaks."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value.replace("\n", " ").replace("\r", " ")
    return str(value)


class R12Tags:
    """R12 entity tags as text, in the order they are added (for a BLOCKS or an ENTITIES section)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add_entity(self, kind: str, layer: str, *pairs: tuple[int, object]) -> None:
        """One entity: its type, its layer (code 8), then ``(code, value)`` pairs."""
        out = [f"  0\n{kind}\n  8\n{layer}\n"]
        out += [f"{code:>3}\n{dxf_value(value)}\n" for code, value in pairs]
        self.parts.append("".join(out))

    def add_point(self, xy: tuple[float, float], layer: str) -> None:
        self.add_entity("POINT", layer, (10, xy[0]), (20, xy[1]), (30, 0.0))

    def add_line(self, start: tuple[float, float], end: tuple[float, float], layer: str) -> None:
        self.add_entity("LINE", layer, (10, start[0]), (20, start[1]), (30, 0.0), (11, end[0]), (21, end[1]), (31, 0.0))

    def add_circle(self, centre: tuple[float, float], radius: float, layer: str) -> None:
        self.add_entity("CIRCLE", layer, (10, centre[0]), (20, centre[1]), (30, 0.0), (40, radius))

    def add_text(self, text: str, at: tuple[float, float], height: float, layer: str) -> None:
        self.add_entity("TEXT", layer, (10, at[0]), (20, at[1]), (30, 0.0), (40, height), (1, text))

    def add_polyline(self, points: np.ndarray, layer: str, closed: bool) -> None:
        """A 2D POLYLINE through (k, 2) ``points``: its VERTEX entities and SEQEND follow it."""
        self.add_entity("POLYLINE", layer, (66, 1), (10, 0.0), (20, 0.0), (30, 0.0), (70, 1 if closed else 0))
        vertex = f"  0\nVERTEX\n  8\n{layer}\n"
        # One f-string per vertex: this loop writes most of a size run's file.
        self.parts.append(
            "".join(f"{vertex} 10\n{x!r}\n 20\n{y!r}\n 30\n0.0\n" for x, y in np.asarray(points, float).tolist())
        )
        self.parts.append(f"  0\nSEQEND\n  8\n{layer}\n")

    def add_insert(self, block: str, layer: str = "0") -> None:
        """An INSERT of ``block`` at the origin, unscaled and unrotated."""
        self.add_entity("INSERT", layer, (2, block), (10, 0.0), (20, 0.0), (30, 0.0))

    def begin_block(self, name: str) -> None:
        """Opens a BLOCK (base point at the origin); entities added until :meth:`end_block` belong to it."""
        self.add_entity("BLOCK", "0", (2, name), (70, 0), (10, 0.0), (20, 0.0), (30, 0.0), (3, name))

    def end_block(self) -> None:
        self.add_entity("ENDBLK", "0")

    def to_text(self) -> str:
        return "".join(self.parts)


def write_r12(layers: Iterable[tuple[str, int]], blocks: R12Tags, entities: R12Tags) -> bytes:
    """An R12 DXF file as bytes in its code page: ezdxf's skeleton with ``layers`` (name, ACI colour) in the
    LAYER table, then ``blocks`` at the end of the BLOCKS section and ``entities`` at the end of ENTITIES."""
    doc = Drawing.new("R12")  # not ezdxf.new: it sets $INSUNITS, which R12 cannot carry (and warns)
    for name, colour in layers:
        doc.layers.add(name, color=colour)
    stream = io.StringIO()
    doc.write(stream)
    text = splice_section(stream.getvalue(), "BLOCKS", blocks.to_text())
    text = splice_section(text, "ENTITIES", entities.to_text())
    return doc.encode(text)


def splice_section(text: str, section: str, content: str) -> str:
    """``content`` inserted at the end of the DXF section named ``section`` of ``text``."""
    start = text.index(f"  2\n{section}\n")
    end = text.index("  0\nENDSEC\n", start)
    return text[:end] + content + text[end:]


# -- reading --------------------------------------------------------------------------------------------------


def sniff_dxf(data: bytes, filename: str = "") -> None:
    """Raise UnsupportedFormatError unless ``data`` looks like an ASCII or binary DXF file."""
    if data.startswith(BINARY_SENTINEL):
        return
    if _SECTION_START.match(data[:2048].lstrip(b"\xef\xbb\xbf")):
        return
    raise UnsupportedFormatError(
        f"{filename or 'the file'} is not a DXF file (it does not start with a DXF SECTION)", filename=filename
    )


@dataclass(slots=True)  # not frozen: a frozen record costs 4× as much to make, and a file has thousands
class TagEntity:
    """One entity: its type (the code-0 value), its tags in file order (values stripped), and for a POLYLINE
    the VERTEX entities that follow it."""

    kind: str
    tags: tuple[Tag, ...]
    vertices: tuple[TagEntity, ...] = ()

    def first(self) -> dict[int, str]:
        """The first value of each group code (an entity repeats a code only for lists, e.g. LWPOLYLINE)."""
        return dict(reversed(self.tags))  # later pairs are overwritten by earlier ones

    def values(self, code: int) -> list[str]:
        """Every value of group code ``code``, in file order."""
        return [value for c, value in self.tags if c == code]


@dataclass
class TagDocument:
    """What :func:`read_tags` found: the header variables (``$NAME`` → its first value), the model space's
    entities (the ENTITIES section) and each block's entities by block name, in file order."""

    header: dict[str, str] = field(default_factory=dict)
    entities: list[TagEntity] = field(default_factory=list)
    blocks: dict[str, list[TagEntity]] = field(default_factory=dict)


class TagStructureError(ValueError):
    """The tag stream is not built as DXF sections, blocks and polylines are."""


def read_tags(data: bytes) -> TagDocument | None:
    """The tags of a clean ASCII DXF file, or None when this reader does not handle the file (binary, no
    ``$ACADVER`` near the start, undecodable text, a code that is not a number, a broken block or polyline)."""
    if data.startswith(BINARY_SENTINEL) or b"$ACADVER" not in data[:4096]:
        return None
    encoding = "utf-8" if _UTF8_VERSION.search(data[:4096]) else "cp1252"
    try:
        lines = data.decode(encoding, errors="strict").splitlines()
        if len(lines) % 2:
            if lines[-1].strip():
                return None
            lines = lines[:-1]
        codes = [int(c) for c in lines[0::2]]
        values = [v.strip() for v in lines[1::2]]
        return _group(codes, values)
    except (ValueError, UnicodeDecodeError):
        return None


def _group(codes: Sequence[int], values: Sequence[str]) -> TagDocument:
    """Tags cut at each code 0 into entities, sorted into the header, the blocks and the model space."""
    doc = TagDocument()
    section = ""
    polyline: tuple[tuple[Tag, ...], list[TagEntity]] | None = None  # an open POLYLINE's tags and vertices
    target: list[TagEntity] | None = None
    # Each code 0 starts an entity (tags before the first one are comments); the last ends at the file's end.
    starts = [i for i, code in enumerate(codes) if code == 0]
    for i, j in zip(starts, [*starts[1:], len(codes)], strict=True):
        kind = values[i]
        tags = tuple(zip(codes[i + 1 : j], values[i + 1 : j]))  # noqa: B905 (equal lengths: even line count)
        if polyline is not None and kind == "VERTEX":
            polyline[1].append(TagEntity(kind, tags))
            continue
        if polyline is not None:
            if kind in {"ENDBLK", "ENDSEC"} or target is None:
                raise TagStructureError("POLYLINE without SEQEND")
            target.append(TagEntity("POLYLINE", polyline[0], tuple(polyline[1])))
            polyline = None
            if kind == "SEQEND":
                continue
        if kind == "SECTION":
            section = next((v for c, v in tags if c == 2), "")
            if section == "HEADER":
                doc.header = _header_variables(tags)
            target = doc.entities if section == "ENTITIES" else None
            continue
        if kind == "ENDSEC":
            section, target = "", None
            continue
        if section == "BLOCKS":
            if kind == "BLOCK":
                target = doc.blocks.setdefault(next((v for c, v in tags if c == 2), ""), [])
                continue
            if kind == "ENDBLK":
                target = None
                continue
        if target is None:
            continue
        if kind == "POLYLINE":
            polyline = (tags, [])
        else:
            target.append(TagEntity(kind, tags))
    if polyline is not None:
        raise TagStructureError("POLYLINE without SEQEND at the end of the file")
    return doc


def _header_variables(tags: Sequence[Tag]) -> dict[str, str]:
    """``$NAME`` → the value of the tag after it (a point variable keeps only its x)."""
    out: dict[str, str] = {}
    for (code, name), (_, value) in pairwise(tags):
        if code == 9:
            out.setdefault(name, value)
    return out
