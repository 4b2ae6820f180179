"""Fit feedback: a pair's answers per region, the last revision they made, and the per-style aggregate."""

from __future__ import annotations

from pydantic import BaseModel, Field

from manufacturing.feedback.service import Revision
from web.api.schemas.common import FreeJsonObject, IsoTime, Record

# ---------------------------------------------------------------------------------------------- requests


class FitFeedbackIn(BaseModel):
    # Free-form on purpose: each region takes a word or an object, and the rules (manufacturing/feedback/rules.py)
    # say which regions, answers and details are known (`422 feedback_error` otherwise).
    answers: FreeJsonObject = Field(
        description='Per region (toe, ball, instep, heel): "tight", "right" or "loose", or {"answer", "text", '
        '"detail"} (toe detail: "length" or "height").',
        examples=[{"ball": "tight", "toe": {"answer": "tight", "detail": "height", "text": "pressed on top"}}],
    )
    comment: str = Field("", max_length=2000)


# ---------------------------------------------------------------------------------------------- responses


class RevisionOut(Record):
    """A revision of a design's last made from fit feedback (mm throughout)."""

    id: int
    last_key: str
    revision: int
    measured: dict[str, float] = Field(description="The last's measurements, mm.")
    changes: dict[str, float] = Field(description="What the answers moved, mm per measurement.")
    max_error_mm: float
    # The last's named parameters as stored with the revision (mm values, the toe shape and side by name); the
    # set is lasts.model.LastParameters' of the day the revision was made.
    parameters: dict[str, float | str | None]
    artifact_url: str = Field(description="The revision's parameters file.")

    @classmethod
    def of(cls, revision: Revision) -> RevisionOut:
        return cls(
            id=revision.id, last_key=revision.last_key, revision=revision.revision, measured=revision.measured,
            changes=revision.changes, max_error_mm=revision.max_error_mm, parameters=revision.parameters,
            artifact_url=f"/api/artifacts/{revision.artifact_id}/content",
        )  # fmt: skip


class FitFeedbackSubmittedOut(Record):
    feedback_id: int
    pair_serial: str
    changes: dict[str, float] = Field(description="mm per last measurement the answers asked for.")
    revision: RevisionOut | None = Field(description="The new revision; null when every answer was `right`.")
    base: RevisionOut | None = Field(description="The revision it was made from.")
    first: bool = Field(description="False: the same answers were stored before; nothing changed.")


class RegionAnswerOut(Record):
    answer: str = Field(description="tight, right or loose.")
    text: str
    detail: str | None = Field(description='Toe: "length" or "height".')


class FitFeedbackOut(Record):
    feedback_id: int
    pair_serial: str
    style: str
    answers: dict[str, RegionAnswerOut] = Field(description="Per region: toe, ball, instep, heel.")
    comment: str
    received_at: IsoTime
    revision: RevisionOut | None


class SuggestionOut(Record):
    allowance: str = Field(description="The style allowance (lasts.fitting.StyleAllowances field) to change.")
    measurement: str
    change_mm: float
    samples: int


class MeanChangeOut(Record):
    mean_mm: float
    samples: int


class StyleFeedbackOut(Record):
    style: str
    feedback: int = Field(description="Pairs with feedback.")
    counts: dict[str, dict[str, int]] = Field(description="Region → answer → how many.")
    mean_change_mm: dict[str, MeanChangeOut] = Field(description="Per last measurement.")
    suggestions: list[SuggestionOut]


class MinSamplesOut(Record):
    min_samples: int = Field(description="Answers a region needs before a change is suggested.")


class StyleFeedbackListOut(MinSamplesOut):
    styles: list[StyleFeedbackOut]


# Bases give their fields in reverse order: `min_samples` comes first, as the route always wrote it.
class StyleFeedbackReportOut(StyleFeedbackOut, MinSamplesOut):
    """One style's aggregate, with the threshold its suggestions used."""
