"""Session tokens: ``<kid>.<signed>``, the signed part (itsdangerous) naming the account and its
``token_version``, signed with the key ``kid`` names (manufacturing/accounts/keys.py). Issued on sign-in by the
API and by tools that act as an account (the benchmarks' readers); bumping the version ends every token issued
before, removing a key ends every token it signed."""

from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from manufacturing.accounts.errors import AuthenticationError
from manufacturing.accounts.keys import SigningKey, session_keyring
from manufacturing.accounts.service import Principal
from manufacturing.settings import Settings

_SALT = "cspms.session.v2"


def _serializer(key: SigningKey) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key.secret, salt=_SALT)


def issue_token(settings: Settings, principal: Principal) -> str:
    key = session_keyring(settings).current
    return f"{key.kid}.{_serializer(key).dumps({'a': principal.account_id, 'v': principal.token_version})}"


def token_claims(settings: Settings, token: str) -> tuple[int, int]:
    """(account id, token version) of a token signed here and younger than ``session_max_age_s``."""
    kid, _, signed = token.partition(".")
    key = session_keyring(settings).find(kid)
    if key is None:  # signed with a key that is not (or no longer) ours
        raise AuthenticationError("the session token is not valid here; sign in again")
    try:
        claims = _serializer(key).loads(signed, max_age=settings.session_max_age_s)
        return int(claims["a"]), int(claims["v"])
    except SignatureExpired as exc:
        raise AuthenticationError("the session has expired; sign in again") from exc
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise AuthenticationError("the session token is not valid here; sign in again") from exc
