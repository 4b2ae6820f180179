"""Session tokens: a signed token (itsdangerous, keyed by ``secret_key``) naming the account and its
``token_version``. Issued on sign-in by the API and by tools that act as an account (the tracking benchmark's
readers); bumping the version ends every token issued before."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from manufacturing.accounts.errors import AuthenticationError
from manufacturing.accounts.service import Principal
from manufacturing.settings import Settings

_SALT = "cspms.session.v1"


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=_SALT)


def issue_token(settings: Settings, principal: Principal) -> str:
    return _serializer(settings).dumps({"a": principal.account_id, "v": principal.token_version})


def token_claims(settings: Settings, token: str) -> tuple[int, int]:
    """(account id, token version) of a token signed here and younger than ``session_max_age_s``."""
    try:
        claims = _serializer(settings).loads(token, max_age=settings.session_max_age_s)
        return int(claims["a"]), int(claims["v"])
    except SignatureExpired as exc:
        raise AuthenticationError("the session has expired; sign in again") from exc
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise AuthenticationError("the session token is not valid here; sign in again") from exc
