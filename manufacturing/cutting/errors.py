"""Errors a cutting machine or a planner can get back, each with its stable code and HTTP status."""

from __future__ import annotations

from geometry.errors import ConflictError, InputError


class CuttingJobError(ConflictError):
    """A cutting-job request that contradicts the job's state (409): the machine should re-read the job."""

    code = "cutting_job_conflict"


class NotLeaseHolderError(CuttingJobError):
    """The job is held by another machine, or by none: only the lease holder may report on it."""

    code = "not_lease_holder"


class LeaseExpiredError(CuttingJobError):
    """The machine's lease ran out (it stayed silent too long); it must claim the job again to go on."""

    code = "lease_expired"


class JobFinishedError(CuttingJobError):
    """The job is already done or failed for good; nothing more can happen to it."""

    code = "cutting_job_finished"


class CutPlanError(InputError):
    """A nest that cannot become a cutting job: a piece without its pair or pattern, a pattern that is not the
    shape that was nested, several containers where one was expected."""

    code = "cut_plan_error"
