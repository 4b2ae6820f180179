"""The base-last library: import a shop's scanned last under a name (and a style), list the library, give a fit its
base. The scanned file is kept as a blob, the last as a ``base_last`` row: our parametric last's parameters with the
shape field that makes it the scanned last. Every style's implicit base is the parametric last ("parametric
(default)"). Services never commit. The geometry (open3d, trimesh, the solver) loads only where a last is imported
or read: listing the library needs none of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from manufacturing.artifacts.store import ArtifactStore
from manufacturing.db.models import BaseLastRecord
from manufacturing.lasts_library import repository
from manufacturing.lasts_library.errors import (
    BaseLastExistsError,
    BaseLastNameError,
    BaseLastNotFoundError,
    BaseLastStyleError,
)

if TYPE_CHECKING:
    from geometry.exchange.meshes import ReadLimits
    from lasts.base_lasts import BaseLast
    from lasts.model import LastParameters, ToeShape
    from lasts.side import Side
    from lasts.units import Unit

PARAMETRIC_DEFAULT = "parametric (default)"
_RESERVED_NAMES = {"parametric", PARAMETRIC_DEFAULT}
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class BaseLastEntry:
    """One line of the library: a stored base last, or the parametric default (fitted to each foot: no figures)."""

    name: str
    style: str | None  # None: a base for every style
    default: bool
    stick_length_mm: float | None = None
    heel_height_mm: float | None = None
    toe_spring_mm: float | None = None
    toe_shape: str | None = None
    scanned_side: str | None = None
    units: str | None = None
    deviation_p95_mm: float | None = None
    deviation_max_mm: float | None = None
    source_filename: str | None = None
    source_sha256: str | None = None
    created_at: datetime | None = None

    @classmethod
    def of(cls, row: BaseLastRecord) -> BaseLastEntry:
        p = row.parameters
        return cls(
            name=row.name, style=row.style, default=False, stick_length_mm=float(p["stick_length_mm"]),
            heel_height_mm=float(p["heel_height_mm"]), toe_spring_mm=float(p["toe_spring_mm"]),
            toe_shape=str(p["toe_shape"]), scanned_side=row.scanned_side, units=row.units,
            deviation_p95_mm=row.deviation_p95_mm, deviation_max_mm=row.deviation_max_mm,
            source_filename=row.source_filename, source_sha256=row.source_sha256, created_at=row.created_at,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        def mm(value: float | None) -> float | None:
            return None if value is None else round(value, 2)

        return {
            "name": self.name,
            "style": self.style,
            "default": self.default,
            "stick_length_mm": mm(self.stick_length_mm),
            "heel_height_mm": mm(self.heel_height_mm),
            "toe_spring_mm": mm(self.toe_spring_mm),
            "toe_shape": self.toe_shape,
            "scanned_side": self.scanned_side,
            "units": self.units,
            "deviation_p95_mm": None if self.deviation_p95_mm is None else round(self.deviation_p95_mm, 3),
            "deviation_max_mm": None if self.deviation_max_mm is None else round(self.deviation_max_mm, 3),
            "source_filename": self.source_filename,
            "source_sha256": self.source_sha256,
            "created_at": None if self.created_at is None else self.created_at.isoformat(),
        }


PARAMETRIC_ENTRY = BaseLastEntry(name=PARAMETRIC_DEFAULT, style=None, default=True)


@dataclass(frozen=True)
class AddedBaseLast:
    """A base last just stored: its library line and what the import found."""

    entry: BaseLastEntry
    imported: BaseLast

    def to_dict(self) -> dict[str, Any]:
        return self.entry.to_dict() | {"import": self.imported.summary()}


def checked_name(name: str) -> str:
    """The name a base last is stored under: one printable line, 1-100 characters, not the parametric default's."""
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_NAME_LENGTH or not cleaned.isprintable():
        raise BaseLastNameError(f"a base last's name is one line of 1-{MAX_NAME_LENGTH} printable characters, "
                                f"not {name[:40]!r}", name=name[:120])  # fmt: skip
    if cleaned.lower() in _RESERVED_NAMES:
        raise BaseLastNameError(f"{cleaned!r} names the parametric default, every style's base: choose another name",
                                name=cleaned)  # fmt: skip
    return cleaned


def checked_style(style: str | None) -> str | None:
    """A style lasts are fitted for (the fit rules' styles), or None (a base for every style)."""
    from lasts.fitting import DEFAULT_FIT_RULES

    if style is not None and style not in DEFAULT_FIT_RULES.styles:
        known = ", ".join(sorted(DEFAULT_FIT_RULES.styles))
        raise BaseLastStyleError(f"unknown style {style!r}: base lasts are for {known}", style=style)
    return style


def add_base_last(
    session: Session,
    store: ArtifactStore,
    data: bytes,
    filename: str,
    name: str,
    style: str | None = None,
    units: Unit | Literal["auto"] = "auto",
    side: Side | None = None,
    toe_shape: ToeShape | None = None,
    limits: ReadLimits | None = None,
) -> AddedBaseLast:
    """Import a scanned last (``lasts.base_lasts.import_base_last``: typed errors for a file that is not a usable
    last; ``limits``: the file's read limits, the defaults when None) and store it under ``name``
    (:func:`store_base_last`). The name and style are checked first: the import takes seconds."""
    from geometry.exchange.meshes import DEFAULT_READ_LIMITS
    from lasts.base_lasts import import_base_last

    name = checked_name(name)
    if repository.by_name(session, name) is not None:
        raise BaseLastExistsError(f"a base last named {name!r} is stored already: choose another name", name=name)
    style = checked_style(style)
    imported = import_base_last(data, filename, style, limits or DEFAULT_READ_LIMITS, units, side, toe_shape)
    return store_base_last(session, store, imported, data, filename, name)


def store_base_last(
    session: Session, store: ArtifactStore, imported: BaseLast, data: bytes, filename: str, name: str
) -> AddedBaseLast:
    """Store an imported base last under ``name``: the scanned file (``data``) as a blob, the last as a
    ``base_last`` row for ``imported.style``."""
    name, style = checked_name(name), checked_style(imported.style)
    if repository.by_name(session, name) is not None:
        raise BaseLastExistsError(f"a base last named {name!r} is stored already: choose another name", name=name)
    blob = store.put_bytes(data)
    d = imported.deviation
    row = BaseLastRecord(
        name=name, style=style, source_sha256=blob.sha256, source_filename=filename[:255],
        source_format=imported.source_format, units=imported.unit, scanned_side=imported.landmarks.scanned_side.value,
        parameters=imported.params.to_dict(), landmarks=imported.landmarks.to_dict(),
        measured={k: round(v, 2) for k, v in imported.measurements.items()}, deviation_p95_mm=d.p95_mm,
        deviation_max_mm=d.max_mm, deviation_max_off_feather_mm=d.max_off_feather_mm,
    )  # fmt: skip
    try:
        repository.add(session, row)
    except IntegrityError:  # stored meanwhile under the same name
        raise BaseLastExistsError(f"a base last named {name!r} is stored already: choose another name",
                                  name=name) from None  # fmt: skip
    return AddedBaseLast(BaseLastEntry.of(row), imported)


def list_base_lasts(session: Session) -> list[BaseLastEntry]:
    """The library: the parametric default (every style's implicit base) first, then every stored base last."""
    return [PARAMETRIC_ENTRY, *(BaseLastEntry.of(row) for row in repository.all_base_lasts(session))]


def base_last_params(session: Session, name: str | None, style: str | None = None) -> LastParameters | None:
    """The stored parameters (the shape field included; a right last) of the base last ``name`` for a fit of
    ``style``; None for the parametric default (no name, or its name). A base stored for another style is refused."""
    if name is None or " ".join(name.split()).lower() in _RESERVED_NAMES:
        return None
    row = repository.by_name(session, " ".join(name.split()))
    if row is None:
        known = repository.names(session)
        listed = ", ".join(repr(n) for n in known[:20]) if known else "none yet (cspms last base add)"
        raise BaseLastNotFoundError(f"no base last is named {name!r}: stored are {listed}", name=name)
    from lasts.model import LastParameters

    if style is not None and row.style is not None and row.style != style:
        raise BaseLastStyleError(f"base last {row.name!r} is stored for the {row.style} style: it is no base for the "
                                 f"{style}", name=row.name, style=style)  # fmt: skip
    return LastParameters.from_dict(dict(row.parameters))
