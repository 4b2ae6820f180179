"""The lifecycle states (and stored kinds) of the records CSPMS keeps: one home for every state enum.

They sit at the foundation because both the database models and the domain cores name them; the rules
that move a record from one state to the next stay in their domain (``cutting.jobs``, ``planning.work_orders``,
``pipeline.runner``, ``purchasing``). Values are stored as plain strings: renaming a value needs a migration.
"""

from __future__ import annotations

import enum

# Claims per cutting job before a failure or a lost lease fails it for good (overridable per job); the
# database's column default, so it lives beside the job's states.
DEFAULT_MAX_ATTEMPTS = 3


class RunState(enum.StrEnum):
    """A pipeline run of one order."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class StageState(enum.StrEnum):
    """One stage of a pipeline run."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    REUSED = "reused"  # the artifact for (input, stage version) already existed
    RETRYING = "retrying"
    FAILED = "failed"


class CuttingJobState(enum.StrEnum):
    """A cutting job: ``queued → claimed → cutting → done``, or ``failed`` after too many attempts."""

    QUEUED = "queued"
    CLAIMED = "claimed"
    CUTTING = "cutting"
    DONE = "done"
    FAILED = "failed"


class ContainerKind(enum.StrEnum):
    """What a cutting job cuts from."""

    HIDE = "hide"
    ROLL = "roll"


class OperationState(enum.StrEnum):
    """One operation of a work order, derived from its events."""

    PENDING = "pending"
    WAITING_MATERIAL = "waiting_material"
    READY = "ready"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"
    REWORK = "rework"


class WorkOrderState(enum.StrEnum):
    """A pair's work order, derived from its operations."""

    PENDING = "pending"
    AWAITING_MATERIAL = "awaiting_material"  # the next operation waits for components (not reserved)
    READY = "ready"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"
    BLOCKED = "blocked"
    REWORK = "rework"


class PurchaseOrderState(enum.StrEnum):
    """A purchase order, derived from its lines' receipts: ``open → partly_received → received``, or
    ``cancelled`` while nothing was received."""

    OPEN = "open"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CANCELLED = "cancelled"
