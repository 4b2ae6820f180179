"""Signing in and who may do what: session tokens, the dependencies routes declare, the accounts API.

A session is a signed token (itsdangerous, keyed by ``secret_key``) naming the account and its
``token_version``: logging out or changing the password bumps the version and ends every session. Browsers
carry it in an HttpOnly, SameSite=Lax cookie; scripts and other services send ``Authorization: Bearer``.
Routes name the capability they need (``requires``); ``manufacturing.accounts.roles`` says which roles hold
it. Machine tokens (web/api/jobs.py) are not sessions: they open the job endpoints and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from geometry.errors import InputError
from manufacturing.accounts import service
from manufacturing.accounts.errors import AuthenticationError, PermissionDeniedError
from manufacturing.accounts.roles import Capability, Role, can
from manufacturing.accounts.service import Principal
from manufacturing.accounts.tokens import issue_token, token_claims
from manufacturing.db.session import session_scope
from manufacturing.settings import Settings
from web.api.deps import ResourcesDep
from web.api.schemas.auth import AccountOut, Credentials, NewAccount, Registration, SessionOut

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
        _check_same_origin(request)
    account_id, version = token_claims(resources.settings, token)
    with session_scope(resources.sessions) as session:
        return service.principal_of(session, account_id, version)


def _check_same_origin(request: Request) -> None:
    # Cookies ride along on cross-site requests too; a browser always says where a cross-site write came from.
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own:
        raise PermissionDeniedError(f"a cookie session cannot be used from {origin[:100]}", origin=origin[:100])


PrincipalDep = Annotated[Principal, Depends(current_principal)]

_CAPABILITY_WORDS = {
    Capability.OWN_DESIGNS: "keep scans, designs and orders",
    Capability.ALL_DESIGNS: "see every customer's scans, designs and orders",
    Capability.PATTERNS: "reach the pattern files",
    Capability.SHOP_FLOOR: "reach the shop floor",
    Capability.ACCOUNTS: "manage accounts",
}


def requires(*capabilities: Capability) -> Callable[[Principal], Principal]:
    """A dependency admitting accounts whose role holds any of ``capabilities`` (403 otherwise)."""

    def check(principal: PrincipalDep) -> Principal:
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
    """A customer account (409 if the address has one), signed in at once."""
    with session_scope(resources.sessions) as session:
        principal = service.add_account(session, str(body.email), body.password, Role.CUSTOMER, body.name)
    return _signed_in(response, resources.settings, principal)


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
