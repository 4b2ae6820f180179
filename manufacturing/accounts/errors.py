"""Typed errors of sign-in and accounts (401 / 403 / 409 / 422 / 429)."""

from __future__ import annotations

from geometry.errors import ConflictError, CspmsError, InputError


class AuthenticationError(CspmsError):
    """No credentials, or credentials that do not check out (401). Says nothing about which part was wrong."""

    code = "sign_in_required"
    http_status = 401
    expected = True


class PermissionDeniedError(CspmsError):
    """A signed-in user asking for something their role does not allow (403)."""

    code = "not_permitted"
    http_status = 403
    expected = True


class TooManyLoginAttemptsError(CspmsError):
    """Too many failed logins for this address or from this client: wait ``retry_after_s`` (429)."""

    code = "too_many_login_attempts"
    http_status = 429
    expected = True


class AccountExistsError(ConflictError):
    """An account with this e-mail address already exists (409)."""

    code = "account_exists"


class WeakPasswordError(InputError):
    """A password outside the policy (length) (422)."""

    code = "weak_password"


class AddressUnconfirmedError(PermissionDeniedError):
    """A customer account whose address has records staff made, not yet proven to be theirs (403): follow the
    e-mailed link or enter the claim code from the shop first."""

    code = "address_unconfirmed"


class InvalidProofError(InputError):
    """A verification link or claim code that is unknown, used, expired or not for this account (422). One
    answer for all four, so a guess learns nothing."""

    code = "invalid_proof"


class MailNotSentError(CspmsError):
    """The mail server refused the mail or could not be reached (503): try again later."""

    code = "mail_not_sent"
    http_status = 503
    expected = True


class TooManyMailsError(CspmsError):
    """Verification mails asked too often for one account (429): wait ``retry_after_s``."""

    code = "too_many_mails"
    http_status = 429
    expected = True
