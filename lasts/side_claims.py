"""Which foot a scan is: what its file name or the customer claims, against what the foot's shape says.

The anatomy decides (``lasts.orientation.SideEvidence``: arch, footprint, hallux, ball line). A side the
customer or the file name claims is checked against it: a file named "left" holding a right foot is a
mirrored export or the wrong file, and is refused with a message saying so (``SideMismatchError``), never
measured as either silently. A side the user confirms (``IngestOptions.side``) is measured as that side
whatever the shape says: a scan showing the other side is taken as a mirrored export and mirrored back, and
the record says so. When the shape cannot tell (weak or contradicting votes) a claimed or confirmed side is
taken and flagged; with none, the scan is refused (``SideUncertainError``) rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePath
from typing import Any

from lasts.errors import SideMismatchError, SideUncertainError
from lasts.orientation import SideEvidence
from lasts.side import Side

# Words naming a side in file names, in the languages of our customers' scanners (whole words only: "l" and
# "r" alone, never inside another word).
_SIDE_WORDS: dict[Side, frozenset[str]] = {
    Side.LEFT: frozenset({
        "left", "l", "lt", "lf", "links", "linker", "linke", "gauche", "izquierdo", "izquierda", "izq",
        "sinistro", "sinistra", "sx", "esquerdo", "esquerda", "vasen", "venstre", "vänster", "lewa", "lewy",
    }),
    Side.RIGHT: frozenset({
        "right", "r", "rt", "rf", "rechts", "rechter", "rechte", "droit", "droite", "derecho", "derecha",
        "destro", "destra", "dx", "direito", "direita", "oikea", "høyre", "höger", "prawa", "prawy",
    }),
}  # fmt: skip


def claimed_side_from_filename(filename: str) -> Side | None:
    """The side a file name claims: its words (split at anything not a letter or digit, and where lower case
    turns upper: "LeftFoot") that name one side and none that name the other; None when it names neither, or
    both ("left_and_right.stl")."""
    stem = PurePath(filename.replace("\\", "/")).name
    stem = stem.rsplit(".", 1)[0] if "." in stem else stem
    words = {w.lower() for w in re.split(r"[^0-9A-Za-zÀ-ÿ]+|(?<=[a-zà-ÿ])(?=[A-ZÀ-Þ])", stem) if w}
    named = [side for side, names in _SIDE_WORDS.items() if words & names]
    return named[0] if len(named) == 1 else None


class SideSource(StrEnum):
    """Where the measured side comes from."""

    ANATOMY = "anatomy"  # the foot's shape, agreeing with any claim
    CLAIMED = "claimed"  # the file name's or the customer's claim; the shape could not tell
    CONFIRMED = "confirmed"  # the user's explicit side
    PAIR = "pair"  # the other foot of a pair is the other side; this one's shape could not tell


@dataclass(frozen=True)
class SideDecision:
    """The side a foot is measured as, and why: what the anatomy says (None: it cannot tell) and how sure it
    is (0-1), what was claimed and by whom, whether the user confirmed it, and whether the scan was mirrored
    to the confirmed side (its shape was the other side's: a mirrored export)."""

    side: Side
    anatomy: Side | None
    confidence: float
    source: SideSource
    claimed: Side | None = None
    claimed_by: str | None = None  # "file name" or "customer"
    mirrored: bool = False

    @property
    def overrides_anatomy(self) -> bool:
        """The side measured is not the one the shape shows (the user's word against it)."""
        return self.mirrored

    @property
    def unconfirmed(self) -> bool:
        """Taken from a claim the shape could not check (flag it where the side matters)."""
        return self.source in (SideSource.CLAIMED, SideSource.PAIR)

    def to_dict(self) -> dict[str, Any]:
        return {
            "side": self.side.value,
            "anatomy": None if self.anatomy is None else self.anatomy.value,
            "confidence": round(self.confidence, 2),
            "source": self.source.value,
            "claimed": None if self.claimed is None else self.claimed.value,
            "claimed_by": self.claimed_by,
            "mirrored": self.mirrored,
        }


def decide_side(
    evidence: SideEvidence,
    filename: str,
    confirmed: Side | None = None,
    claimed: Side | None = None,
    claimed_by: str | None = None,
) -> SideDecision:
    """The side to measure a foot as (rules in the module's docstring); raises ``SideMismatchError`` when a
    claim contradicts a sure anatomy, ``SideUncertainError`` when nothing tells the side."""
    anatomy = evidence.side
    confidence = evidence.confidence
    if confirmed is not None:
        mirrored = anatomy is not None and anatomy != confirmed
        return SideDecision(confirmed, anatomy, confidence, SideSource.CONFIRMED, claimed, claimed_by, mirrored)
    if claimed is not None:
        if anatomy is None:
            return SideDecision(claimed, None, confidence, SideSource.CLAIMED, claimed, claimed_by)
        if anatomy != claimed:
            named = f"the file is named {claimed} ({filename!r})" if claimed_by == "file name" else (
                f"it was sent as the {claimed} foot")  # fmt: skip
            raise SideMismatchError(
                f"{named} but the foot in it is a {anatomy} foot ({evidence.explanation()}): a mirrored export, or "
                f"the wrong file? Upload the {claimed} foot's scan, or confirm that this is the {claimed} foot "
                f"(side={claimed}) and it will be measured as one (mirrored back), flagged in its record",
                claimed=claimed.value, anatomy=anatomy.value, claimed_by=claimed_by,
                votes={k: round(v, 2) for k, v in evidence.votes.items()},
            )  # fmt: skip
        return SideDecision(anatomy, anatomy, confidence, SideSource.ANATOMY, claimed, claimed_by)
    if anatomy is None:
        raise SideUncertainError(
            f"the scan's shape does not tell a left from a right foot ({evidence.explanation()}): say which foot it "
            "is (side=left or side=right, or name the file ..._left / ..._right)",
            votes={k: round(v, 2) for k, v in evidence.votes.items()},
        )
    return SideDecision(anatomy, anatomy, confidence, SideSource.ANATOMY)
