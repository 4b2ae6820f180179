"""An order's lasts, for the pattern-maker: per pair, what its latest run's ``last.fit`` stage made (the files
and ``last.json``), the fitted last's EU size, and the revisions fit feedback made of the design's last."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from lasts.grading import eu_size_of_last
from lasts.model import LastParameters
from manufacturing.artifacts import ArtifactStore
from manufacturing.db import repositories
from manufacturing.db.models import LastRevision, Pair
from manufacturing.feedback import repository as feedback_repository
from manufacturing.pipeline.outputs import LAST_FIT, StageOutputs, fitted_last_record, stage_outputs


@dataclass(frozen=True)
class PairLastFiles:
    pair: Pair
    outputs: StageOutputs  # the latest run's last.fit stage: its state and files
    record: dict[str, Any] | None  # last.json; None until the stage is done
    size_eu: float | None  # the fitted last's size, to the half size
    revisions: Sequence[LastRevision]  # oldest first


@dataclass(frozen=True)
class OrderLasts:
    order_number: str
    pairs: list[PairLastFiles]


def order_lasts(session: Session, store: ArtifactStore, order_number: str) -> OrderLasts:
    order = repositories.get_order_by_number(session, order_number)
    pairs = []
    for pair in repositories.pairs_of_order(session, order.id):
        outputs = stage_outputs(session, pair.id, LAST_FIT)
        record = fitted_last_record(store, outputs)
        size_eu = None if record is None else eu_size_of_last(LastParameters.from_dict(record["parameters"]))
        revisions = feedback_repository.revisions(session, pair.design.design_key)
        pairs.append(PairLastFiles(pair, outputs, record, size_eu, revisions))
    return OrderLasts(order.number, pairs)
