"""Signing in and who may do what: session tokens, the dependencies routes declare, the accounts API.

A session is a signed token (itsdangerous, keyed by a session key it names by its ``kid``:
manufacturing/accounts/keys.py) naming the account and its ``token_version``: logging out or changing the
password bumps the version and ends every session. Browsers carry it in an HttpOnly, SameSite=Lax cookie,
whose writes must come from an allowed origin; scripts and other services send ``Authorization: Bearer``.
A registered customer account holds nothing, and sees nothing recorded under its address, until the address
is proven (the e-mailed link, or the claim code the shop printed: manufacturing/accounts/identity.py).
Routes name the capability they need (``requires``); ``manufacturing.accounts.roles`` says which roles hold
it. Machine tokens (web/api/jobs.py) are not sessions: they open the job endpoints and nothing else."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from geometry.errors import InputError
from manufacturing.accounts import identity, service
from manufacturing.accounts.errors import (
    AddressUnconfirmedError,
    AuthenticationError,
    MailNotSentError,
    PermissionDeniedError,
)
from manufacturing.accounts.outbox import Mail, outbox_for
from manufacturing.accounts.roles import Capability, Role, can
from manufacturing.accounts.service import Principal
from manufacturing.accounts.tokens import issue_token, token_claims
from manufacturing.db.session import session_scope
from manufacturing.settings import Settings
from web.api.deps import ResourcesDep
from web.api.schemas.auth import (
    AccountOut,
    ClaimCodeIn,
    ClaimCodeOut,
    ClaimIn,
    Credentials,
    NewAccount,
    RecordsOut,
    Registration,
    SessionOut,
)

log = logging.getLogger(__name__)

SESSION_COOKIE = "cspms_session"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

_bearer = HTTPBearer(auto_error=False, scheme_name="sessionToken",
                     description="A session token from POST /api/auth/login (or the session cookie).")  # fmt: skip


def current_principal(
    request: Request,
    resources: ResourcesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The signed-in account, from the bearer token or else the session cookie (401 without either)."""
    token = credentials.credentials if credentials is not None else request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthenticationError("sign in first (POST /api/auth/login), then send the session token")
    if credentials is None and request.method not in _SAFE_METHODS:
        _check_origin(request, resources.settings)
    account_id, version = token_claims(resources.settings, token)
    with session_scope(resources.sessions) as session:
        return service.principal_of(session, account_id, version)


def _check_origin(request: Request, settings: Settings) -> None:
    # Cookies ride along on cross-site requests too; a browser always says where a cross-site write came from.
    # Compared with the configured origins, never with the Host header: the sender chooses that one.
    origin = request.headers.get("origin")
    if origin is not None and normalised_origin(origin) not in allowed_origins(settings):
        raise PermissionDeniedError(f"a cookie session cannot be used from {origin[:100]}", origin=origin[:100])


_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}


def normalised_origin(url: str) -> str:
    """``scheme://host[:port]`` as browsers send it: lower case, no default port, no path ("" if not a URL)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    host = (parts.hostname or "").lower()
    if parts.scheme not in _DEFAULT_PORTS or not host:
        return ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, _DEFAULT_PORTS[parts.scheme]) else "")


def allowed_origins(settings: Settings) -> frozenset[str]:
    """Where cookie writes may come from: ``public_url``'s origin, ``allowed_origins``, and, when ``cspms serve``
    listens on this machine only or on every address, its port on 127.0.0.1 and localhost."""
    origins = {settings.resolved_public_url, *settings.allowed_origins.split(",")}
    if settings.host in _LOOPBACK:
        origins |= {f"http://127.0.0.1:{settings.port}", f"http://localhost:{settings.port}"}
    return frozenset(o for o in map(normalised_origin, origins) if o)


PrincipalDep = Annotated[Principal, Depends(current_principal)]

_CAPABILITY_WORDS = {
    Capability.OWN_DESIGNS: "keep scans, designs and orders",
    Capability.ALL_DESIGNS: "see every customer's scans, designs and orders",
    Capability.PATTERNS: "reach the pattern files",
    Capability.SHOP_FLOOR: "reach the shop floor",
    Capability.ACCOUNTS: "manage accounts",
}


def requires(*capabilities: Capability) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting accounts whose role holds any of ``capabilities`` (403 otherwise)."""

    # A coroutine, though it only compares: a plain ``def`` dependency would cost a thread-pool hop per request.
    async def check(principal: PrincipalDep) -> Principal:
        if not any(can(principal.role, c) for c in capabilities):
            raise PermissionDeniedError(
                f"a {principal.role.value} account cannot {_CAPABILITY_WORDS[capabilities[0]]}",
                role=principal.role.value, needs=[c.value for c in capabilities],
            )  # fmt: skip
        return principal

    return check


def owns(principal: Principal, customer_id: int) -> bool:
    """May ``principal`` see what customer ``customer_id`` owns? Staff-side roles see everything."""
    return can(principal.role, Capability.ALL_DESIGNS) or principal.customer_id == customer_id


def acting_customer_email(principal: Principal, email: str | None) -> str:
    """Whose scan, design or order a request creates: a customer's own; staff must name the customer."""
    if principal.role == Role.CUSTOMER:
        if email is not None and email.strip().lower() != principal.email:
            raise PermissionDeniedError("a customer account acts for itself only", email=email)
        if principal.proof_needed:
            raise AddressUnconfirmedError(
                f"confirm {principal.email} first: open the link e-mailed to it, or enter the claim code the shop "
                "gave you (your account page, /login/account.html)", email=principal.email,
            )  # fmt: skip
        return principal.email
    if not can(principal.role, Capability.ALL_DESIGNS):
        raise PermissionDeniedError(f"a {principal.role.value} account cannot act for a customer")
    if email is None:
        raise InputError("acting for a customer: give the customer's e-mail address (`email`)", field="email")
    return email


CustomerSideDep = Annotated[Principal, Depends(requires(Capability.OWN_DESIGNS, Capability.ALL_DESIGNS))]
ShopFloorDep = Annotated[Principal, Depends(requires(Capability.SHOP_FLOOR))]
PatternsDep = Annotated[Principal, Depends(requires(Capability.PATTERNS, Capability.SHOP_FLOOR))]
AccountsDep = Annotated[Principal, Depends(requires(Capability.ACCOUNTS))]
AllDesignsDep = Annotated[Principal, Depends(requires(Capability.ALL_DESIGNS))]


def _customer_account(principal: PrincipalDep) -> Principal:
    if principal.role != Role.CUSTOMER:
        raise PermissionDeniedError(f"a {principal.role.value} account holds no customer records to claim",
                                    role=principal.role.value)  # fmt: skip
    return principal


CustomerAccountDep = Annotated[Principal, Depends(_customer_account)]


def _signed_in(response: Response, settings: Settings, principal: Principal) -> SessionOut:
    token = issue_token(settings, principal)
    response.set_cookie(SESSION_COOKIE, token, max_age=settings.session_max_age_s, httponly=True,
                        samesite="lax", secure=settings.session_cookie_secure, path="/")  # fmt: skip
    return SessionOut(token=token, expires_in_s=settings.session_max_age_s, account=AccountOut.of(principal))


# ---------------------------------------------------------------------------------------------- routes

router = APIRouter(prefix="/api/auth", tags=["auth"])
_AUTH_ERRORS: dict[int | str, dict[str, Any]] = {401: {"description": "Not signed in."},
                                                  403: {"description": "The role does not allow it."}}  # fmt: skip


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=SessionOut)
def register(resources: ResourcesDep, body: Registration, response: Response) -> SessionOut:
    """A customer account (409 if the address has one), signed in at once, and a verification link e-mailed to
    the address. Registering proves nothing, so the account holds nothing (`account.proof_needed`) until the
    address is proven: the link is followed, or the claim code the shop printed is entered
    (`POST /api/auth/claim`). Then it keeps scans, designs and orders, and gets what the shop recorded under the
    address, whether that was before or after the registration."""
    settings = resources.settings
    with session_scope(resources.sessions) as session:
        principal = service.register_customer(session, str(body.email), body.password)
        mail = identity.start_verification(session, principal, settings.resolved_public_url,
                                           settings.verification_link_ttl_s)  # fmt: skip
    try:
        _send(resources.settings, mail)
    except MailNotSentError:  # the account stands; POST /api/auth/verification asks again
        log.warning("the verification mail to %s was not sent", principal.email, exc_info=True)
    return _signed_in(response, settings, principal)


def _send(settings: Settings, mail: Mail) -> None:
    outbox_for(settings).send(mail)


@router.post("/login", response_model=SessionOut,
             responses={401: {"description": "Wrong address or password."},
                        429: {"description": "Too many failed logins; see Retry-After."}})  # fmt: skip
def login(resources: ResourcesDep, body: Credentials, request: Request, response: Response) -> SessionOut:
    """Sign in: a session token, also set as an HttpOnly cookie. Five failures for an address (twenty from
    one client) within 15 minutes lock it until the oldest leaves the window."""
    client = request.client.host if request.client is not None else "unknown"
    with session_scope(resources.sessions) as session:
        outcome = service.authenticate(session, str(body.email), body.password, client)
    if outcome.error is not None:
        raise outcome.error  # after the commit: the failed attempt counts
    assert outcome.principal is not None
    return _signed_in(response, resources.settings, outcome.principal)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=_AUTH_ERRORS)
def logout(resources: ResourcesDep, principal: PrincipalDep) -> Response:
    """End every session of this account (all its tokens stop working) and clear the cookie."""
    with session_scope(resources.sessions) as session:
        service.end_sessions(session, principal.account_id)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=AccountOut, responses=_AUTH_ERRORS)
def me(principal: PrincipalDep) -> AccountOut:
    return AccountOut.of(principal)


@router.post("/verification", status_code=status.HTTP_202_ACCEPTED, response_model=AccountOut,
             responses={**_AUTH_ERRORS, 429: {"description": "Three mails this hour already; see Retry-After."},
                        503: {"description": "The mail server did not take the mail."}})  # fmt: skip
def send_verification(resources: ResourcesDep, principal: PrincipalDep) -> AccountOut:
    """E-mail a new verification link to the account's address (it works once, for
    `CSPMS_VERIFICATION_LINK_TTL_S`)."""
    settings = resources.settings
    with session_scope(resources.sessions) as session:
        mail = identity.start_verification(session, principal, settings.resolved_public_url,
                                           settings.verification_link_ttl_s)  # fmt: skip
    _send(settings, mail)
    return AccountOut.of(principal)


_PROOF_ERRORS: dict[int | str, dict[str, Any]] = {422: {"description": "Unknown, used or expired."}}
_TOKEN = Query(min_length=1, max_length=128, description="The token of the e-mailed link.")


@router.get("/verify", response_model=AccountOut, responses=_PROOF_ERRORS)
def verify_link(resources: ResourcesDep, token: Annotated[str, _TOKEN]) -> AccountOut:
    """Follow an e-mailed verification link: the address is proven, and the records the shop holds for it
    become the account's. The link works once."""
    with session_scope(resources.sessions) as session:
        return AccountOut.of(identity.verify_link(session, token))


@router.post("/verify", response_model=AccountOut, responses=_PROOF_ERRORS)
def verify_link_post(resources: ResourcesDep, token: Annotated[str, _TOKEN]) -> AccountOut:
    """The same as `GET /api/auth/verify`, for pages that submit the token."""
    return verify_link(resources, token)


@router.post("/claim", response_model=AccountOut, responses={**_AUTH_ERRORS, **_PROOF_ERRORS})
def claim(resources: ResourcesDep, principal: CustomerAccountDep, body: ClaimIn) -> AccountOut:
    """Enter the claim code the shop printed when it recorded you: the records it holds for your address become
    your account's. The code works once, for the account of the address it was printed for."""
    with session_scope(resources.sessions) as session:
        return AccountOut.of(identity.redeem_claim_code(session, principal, body.code))


@router.get("/records", response_model=RecordsOut, responses=_AUTH_ERRORS)
def records(resources: ResourcesDep, principal: CustomerAccountDep) -> RecordsOut:
    """Your scans, design revisions and orders, oldest first; none while the address waits for proof."""
    with session_scope(resources.sessions) as session:
        return RecordsOut.of(service.records_held(session, principal))


@router.post("/claim-codes", status_code=status.HTTP_201_CREATED, response_model=ClaimCodeOut,
             responses={**_AUTH_ERRORS, 404: {"description": "The shop holds no records for the address."},
                        409: {"description": "An account holds the records already."}})  # fmt: skip
def new_claim_code(resources: ResourcesDep, _staff: AllDesignsDep, body: ClaimCodeIn) -> ClaimCodeOut:
    """A new claim code to print for a walk-in customer (a lost slip): the records staff made under `email`
    become the account's that enters it. Earlier codes keep working until used or expired."""
    with session_scope(resources.sessions) as session:
        slip = identity.claim_code_for_address(session, str(body.email), resources.settings.claim_code_ttl_s)
    return ClaimCodeOut.of(slip)


accounts_router = APIRouter(prefix="/api/accounts", tags=["auth"], responses=_AUTH_ERRORS)


@accounts_router.get("", response_model=list[AccountOut])
def list_accounts(resources: ResourcesDep, _admin: AccountsDep) -> list[AccountOut]:
    with session_scope(resources.sessions) as session:
        return [AccountOut.of(p) for p in service.list_accounts(session)]


@accounts_router.post("", status_code=status.HTTP_201_CREATED, response_model=AccountOut)
def add_account(resources: ResourcesDep, _admin: AccountsDep, body: NewAccount) -> AccountOut:
    """An account of any role (administrators only)."""
    with session_scope(resources.sessions) as session:
        return AccountOut.of(service.add_account(session, str(body.email), body.password, body.role))


@accounts_router.post("/{email}/disable", status_code=status.HTTP_204_NO_CONTENT)
def disable_account(resources: ResourcesDep, _admin: AccountsDep, email: str) -> Response:
    """Disable an account: its sessions stop working and it cannot sign in."""
    with session_scope(resources.sessions) as session:
        service.disable(session, email)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
