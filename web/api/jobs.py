"""The machine API: cutting machines claim jobs, keep their lease alive, report, and fetch the cut files.

Every route here needs a machine's bearer token (``Authorization: Bearer <token>``); the token names the
machine, so a machine cannot report for another. Tokens come from ``CSPMS_MACHINE_TOKENS``: comma-separated
``<machine id>:<token>`` entries (read on each request; an empty list turns the machine API off). No other
route accepts these tokens. The job rules (leases, attempts, idempotent completion) are
``manufacturing/cutting/service.py``'s (docs/cutting.md); each request is one transaction.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from geometry.errors import CspmsError
from manufacturing.clock import utc_now
from manufacturing.cutting import repository, service
from manufacturing.db import repositories
from manufacturing.db.session import session_scope
from manufacturing.states import CuttingJobState
from web.api.deps import RecordId, ResourcesDep
from web.api.pagination import Page, PageDep, page_of
from web.api.problems import problem
from web.api.schemas.jobs import CompletedOut, FailIn, JobOut, LeaseIn

MACHINE_TOKENS_ENV = "CSPMS_MACHINE_TOKENS"  # Settings.machine_tokens


# ---------------------------------------------------------------------------------------------- auth


class MachineAuthError(CspmsError):
    """No machine token, or one this server does not know (401)."""

    code = "unauthorised"
    http_status = 401


class MachineForbiddenError(CspmsError):
    """A known machine asking for something that is not its to have (403)."""

    code = "forbidden"
    http_status = 403


def machine_tokens(raw: str) -> dict[str, str]:
    """token → machine id, from the ``machine_tokens`` setting (``machine:token,machine:token``)."""
    tokens: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        machine, _, token = entry.partition(":")
        if machine.strip() and token.strip():
            tokens[token.strip()] = machine.strip()
    return tokens


_bearer = HTTPBearer(
    auto_error=False, scheme_name="machineToken", description=f"A cutting machine's token ({MACHINE_TOKENS_ENV})."
)


def authenticated_machine(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The machine id the request's bearer token belongs to."""
    token = credentials.credentials if credentials is not None else ""
    if not token.strip():
        raise MachineAuthError("the machine API needs 'Authorization: Bearer <machine token>'")
    known = machine_tokens(request.app.state.resources.settings.machine_tokens.get_secret_value())
    if not known:
        raise MachineAuthError(f"no machine tokens are configured on this server ({MACHINE_TOKENS_ENV})")
    given = token.strip().encode()
    # Compare with every token in constant time: the response time says nothing about which one nearly matched.
    matches = [machine for candidate, machine in known.items() if hmac.compare_digest(candidate.encode(), given)]
    if not matches:
        raise MachineAuthError("the machine token is not known here")
    return matches[0]


MachineDep = Annotated[str, Depends(authenticated_machine)]


class MachineRoute(APIRoute):
    """Auth problems carry ``WWW-Authenticate: Bearer`` (RFC 6750), which the app-wide handler cannot add."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_challenge(request: Request) -> Response:
            try:
                return await handler(request)
            except MachineAuthError as exc:
                response = problem(exc.http_status, exc.code, "Unauthorised", exc.message, request.url.path)
                response.headers["WWW-Authenticate"] = 'Bearer realm="cspms-machines"'
                return response

        return with_challenge


router = APIRouter(prefix="/api/jobs", tags=["jobs"], route_class=MachineRoute)


# ---------------------------------------------------------------------------------------------- routes


@router.post(
    "/claim",
    response_model=JobOut,
    responses={204: {"description": "No job to cut: ask again later."}, 401: {"description": "No or unknown token."}},
)
def claim_next_job(resources: ResourcesDep, machine: MachineDep, body: LeaseIn | None = None) -> Any:
    """Claim the oldest job that is queued (or whose holder went silent) for `lease_seconds`."""
    lease = (body or LeaseIn()).lease_seconds
    with session_scope(resources.sessions) as session:
        job = service.claim_next(session, machine, lease)
    if job is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return JobOut.of(job)


@router.get("", response_model=Page[JobOut])
def list_jobs(
    resources: ResourcesDep, machine: MachineDep, page: PageDep, state: CuttingJobState | None = None
) -> Page[JobOut]:
    """Cutting jobs by id, optionally in one (derived) state; paginated with `limit` and `cursor`."""
    now = utc_now()
    with session_scope(resources.sessions) as session:
        rows = repository.jobs_after(session, state, page.after_id, page.limit + 1, now)
        return page_of(rows, page, lambda row: JobOut.of(service.job_status(session, row.id, now)))


@router.get("/{job_id}", response_model=JobOut)
def read_job(resources: ResourcesDep, machine: MachineDep, job_id: RecordId) -> JobOut:
    with session_scope(resources.sessions) as session:
        return JobOut.of(service.job_status(session, job_id))


@router.post("/{job_id}/claim", response_model=JobOut)
def claim_job(resources: ResourcesDep, machine: MachineDep, job_id: RecordId, body: LeaseIn | None = None) -> JobOut:
    """Claim this job (a restarted machine taking its job back while nobody else holds it)."""
    lease = (body or LeaseIn()).lease_seconds
    with session_scope(resources.sessions) as session:
        return JobOut.of(service.claim_job(session, job_id, machine, lease))


@router.post("/{job_id}/heartbeat", response_model=JobOut)
def heartbeat(resources: ResourcesDep, machine: MachineDep, job_id: RecordId, body: LeaseIn | None = None) -> JobOut:
    """Extend this machine's lease to now + `lease_seconds` (409 `lease_expired` once it ran out)."""
    lease = (body or LeaseIn()).lease_seconds
    with session_scope(resources.sessions) as session:
        return JobOut.of(service.heartbeat(session, job_id, machine, lease))


@router.post("/{job_id}/start", response_model=JobOut)
def start_cutting(resources: ResourcesDep, machine: MachineDep, job_id: RecordId) -> JobOut:
    """The machine starts cutting (claimed → cutting); a repeat changes nothing."""
    with session_scope(resources.sessions) as session:
        return JobOut.of(service.start_cutting(session, job_id, machine))


@router.post("/{job_id}/complete", response_model=CompletedOut)
def complete(resources: ResourcesDep, machine: MachineDep, job_id: RecordId) -> CompletedOut:
    """The job is cut: done, with one pieces-cut tracking event per pair. Repeating it is harmless."""
    with session_scope(resources.sessions) as session:
        done = service.complete(session, job_id, machine)
    return CompletedOut(job=JobOut.of(done.job), first=done.first, events_added=done.events_added)


@router.post("/{job_id}/fail", response_model=JobOut)
def fail(resources: ResourcesDep, machine: MachineDep, job_id: RecordId, body: FailIn) -> JobOut:
    """The machine could not cut it: back to the queue while attempts are left, else failed for good."""
    with session_scope(resources.sessions) as session:
        return JobOut.of(service.fail(session, job_id, machine, body.reason))


@router.get(
    "/{job_id}/files/{kind}",
    response_class=FileResponse,
    responses={200: {"description": "The cutter DXF (R2010, mm) or the HPGL .plt (40 units per mm)."}},
)
def download_cut_file(
    resources: ResourcesDep, machine: MachineDep, job_id: RecordId, kind: Literal["dxf", "plt"]
) -> FileResponse:
    """The job's cut file, for the machine that holds the job (403 for any other)."""
    with session_scope(resources.sessions) as session:
        job = service.job_status(session, job_id)
        if job.machine_id != machine or job.state not in (CuttingJobState.CLAIMED, CuttingJobState.CUTTING):
            raise MachineForbiddenError(
                f"cutting job {job_id} is not held by {machine} (state {job.state}); claim it first",
                job_id=job_id,
            )
        artifact = repositories.get_artifact(session, job.dxf_artifact_id if kind == "dxf" else job.plt_artifact_id)
        path = resources.store.path_for(artifact.sha256)
        return FileResponse(path, media_type=artifact.media_type, filename=artifact.filename)
